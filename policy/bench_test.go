package policy

import (
	"context"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
)

// fiveValidators is a realistic route: a global is_true, a namespaced
// includes with a max age, a permission, a one_of and an excludes_all.
func fiveValidators(tb testing.TB, r Refresher) (*Policy, *verifier.Identity) {
	tb.Helper()
	p, err := Compile([]Spec{
		{Claim: "email_verified", Op: OpIsTrue},
		{Claim: "https://example.com/session.roles", Op: OpIncludes, Values: []any{"editor"},
			MaxAge: 5 * time.Minute, HasMaxAge: true},
		{Op: OpPermission, Values: []any{"blog:write"}},
		{Claim: "realm_access.tier", Op: OpOneOf, Values: []any{"gold", "silver"}},
		{Claim: "groups", Op: OpExcludesAll, Values: []any{"banned", "suspended"}},
	}, Options{Roles: testRoles, Now: clock, Refresher: r})
	if err != nil {
		tb.Fatal(err)
	}
	id := &verifier.Identity{Verifier: "corp_idp", Subject: "user-1", IssuedAt: ago(time.Minute),
		Claims: map[string]any{
			"email_verified":                    true,
			"https://example.com/session.roles": []any{"viewer", "editor"},
			"roles":                             []any{"viewer", "editor"},
			"realm_access":                      map[string]any{"tier": "gold"},
			"groups":                            []any{"staff", "blue"},
		}}
	return p, id
}

func BenchmarkEvaluate5(b *testing.B) {
	p, id := fiveValidators(b, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, d, err := p.Evaluate(ctx, id); d != nil || err != nil {
			b.Fatal(d, err)
		}
	}
}

// BenchmarkEvaluate5WithRefresher has a claim source behind roles whose
// value is fresh, so the shouldRefetch pass runs but nothing is fetched.
func BenchmarkEvaluate5WithRefresher(b *testing.B) {
	p, id := fiveValidators(b, rolesSource(5*time.Minute, []any{"editor"}))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, d, err := p.Evaluate(ctx, id); d != nil || err != nil {
			b.Fatal(d, err)
		}
	}
}

// BenchmarkEvaluate5Denied fails every validator: the cost of a 403.
func BenchmarkEvaluate5Denied(b *testing.B) {
	p, _ := fiveValidators(b, nil)
	id := &verifier.Identity{Subject: "user-1", IssuedAt: ago(time.Hour), Claims: map[string]any{
		"email_verified": "true", "roles": "editor", "groups": []any{"banned"}}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, d, _ := p.Evaluate(ctx, id); d == nil || len(d.Failures) != 5 {
			b.Fatal("want 5 failures, got", d)
		}
	}
}

func TestEvaluatePassingDoesNotAllocate(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    Refresher
	}{{"without a refresher", nil}, {"with a refresher and fresh claims", rolesSource(5*time.Minute, nil)}} {
		t.Run(tc.name, func(t *testing.T) {
			p, id := fiveValidators(t, tc.r)
			ctx := context.Background()
			allocs := testing.AllocsPerRun(200, func() {
				if _, d, err := p.Evaluate(ctx, id); d != nil || err != nil {
					t.Fatal(d, err)
				}
			})
			if allocs != 0 {
				t.Errorf("Evaluate allocated %v times per passing run; want 0", allocs)
			}
		})
	}
}
