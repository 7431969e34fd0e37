package policy

import (
	"context"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
)

// peekingRefresher is a fakeRefresher with a cache Explain can peek at,
// and a record of whether each Refresh ran in a dry run.
type peekingRefresher struct {
	fakeRefresher
	cached    map[string]any // claim → cached value, fetched cachedAt
	cachedAt  time.Time
	dryCalls  int
	wetCalls  int
	peekCalls int
}

func (p *peekingRefresher) Peek(_ *verifier.Identity, claim string, maxAge time.Duration) (any, time.Time, bool) {
	p.peekCalls++
	v, ok := p.cached[claim]
	if !ok || maxAge == 0 || maxAge > 0 && now.Sub(p.cachedAt) > maxAge {
		return nil, time.Time{}, false
	}
	return v, p.cachedAt, true
}

func (p *peekingRefresher) Refresh(ctx context.Context, id *verifier.Identity, claim string, maxAge time.Duration) (any, time.Time, error) {
	if dry, _ := verifier.DryRunOf(ctx); dry {
		p.dryCalls++
	} else {
		p.wetCalls++
	}
	return p.fakeRefresher.Refresh(ctx, id, claim, maxAge)
}

func TestExplainRecordsEveryValidatorWithTheValueItSaw(t *testing.T) {
	p := mustCompile(t, Options{},
		Spec{Claim: "roles", Op: OpIncludes, Values: []any{"admin"}},
		Spec{Claim: "email_verified", Op: OpIsTrue},
		Spec{Claim: "tenant", Op: OpExists},
	)
	x, err := p.Explain(context.Background(), identity(t, `{"roles":["viewer"],"email_verified":true}`), false)
	if err != nil {
		t.Fatal(err)
	}
	if x.Undetermined || len(x.Validators) != 3 {
		t.Fatalf("explanation = %+v", x)
	}
	roles, verified, tenant := x.Validators[0], x.Validators[1], x.Validators[2]
	if roles.Result != ResultFailed || !roles.HasValue || roles.Reason == nil || roles.Reason.Message != MessageWrongValue || roles.Mode != ModeEnforce {
		t.Errorf("roles = %+v", roles)
	}
	if got, ok := roles.Value.([]any); !ok || len(got) != 1 || got[0] != "viewer" {
		t.Errorf("roles value seen = %#v", roles.Value)
	}
	if !roles.HasAge || roles.Age != time.Minute {
		t.Errorf("roles age = %v (known %v), want the token's minute", roles.Age, roles.HasAge)
	}
	if verified.Result != ResultPassed || verified.Reason != nil {
		t.Errorf("email_verified = %+v", verified)
	}
	if tenant.Result != ResultFailed || tenant.HasValue || tenant.Reason.Message != MessageMissing {
		t.Errorf("tenant = %+v", tenant)
	}
	// The denial is the one Evaluate reports.
	_, d, _ := p.Evaluate(context.Background(), identity(t, `{"roles":["viewer"],"email_verified":true}`))
	if body(t, x.Denial) != body(t, d) {
		t.Errorf("Explain denial %s, Evaluate denial %s", body(t, x.Denial), body(t, d))
	}
}

func TestExplainWithoutFetchCallsNoClaimSource(t *testing.T) {
	r := &peekingRefresher{fakeRefresher: fakeRefresher{
		sources: map[string]fakeSource{"roles": {claim: "roles", maxAge: 5 * time.Minute}},
		values:  map[string]any{"roles": []any{"admin"}},
	}}
	p := mustCompile(t, Options{Refresher: r}, Spec{Claim: "roles", Op: OpIncludes, Values: []any{"admin"},
		MaxAge: 30 * time.Second, HasMaxAge: true})
	id := identity(t, `{"roles":["viewer"]}`) // a minute old: stale for 30s

	x, err := p.Explain(context.Background(), id, false)
	if err != nil {
		t.Fatal(err)
	}
	if !x.Undetermined || x.Denial != nil || x.Validators[0].Result != ResultUndetermined {
		t.Fatalf("stale claim without fetch: %+v", x)
	}
	if len(x.Claims) != 1 || x.Claims[0].State != ClaimWouldFetch || x.Claims[0].MaxAge != 30*time.Second {
		t.Errorf("claims = %+v", x.Claims)
	}
	if r.dryCalls+r.wetCalls != 0 {
		t.Errorf("claim source called %d times without fetch", r.dryCalls+r.wetCalls)
	}
	v := x.Validators[0]
	if !v.HasValue || v.Age != time.Minute || v.MaxAge != 30*time.Second || v.Source != "roles" {
		t.Errorf("validator saw %+v", v)
	}
}

func TestExplainReadsAYoungEnoughCachedClaim(t *testing.T) {
	r := &peekingRefresher{fakeRefresher: fakeRefresher{
		sources: map[string]fakeSource{"roles": {claim: "roles", maxAge: 5 * time.Minute}},
	}, cached: map[string]any{"roles": []any{"admin"}}, cachedAt: ago(10 * time.Second)}
	p := mustCompile(t, Options{Refresher: r}, Spec{Claim: "roles", Op: OpIncludes, Values: []any{"admin"},
		MaxAge: 30 * time.Second, HasMaxAge: true})
	x, err := p.Explain(context.Background(), identity(t, `{"roles":["viewer"]}`), false)
	if err != nil {
		t.Fatal(err)
	}
	if x.Undetermined || x.Denial != nil || x.Claims[0].State != ClaimCached {
		t.Fatalf("cached claim: %+v", x)
	}
	if v := x.Validators[0]; v.Result != ResultPassed || v.Age != 10*time.Second {
		t.Errorf("validator = %+v, want passed at the cached value's age", v)
	}
	if x.Identity.Claims["roles"].([]any)[0] != "admin" {
		t.Errorf("identity to forward holds %v", x.Identity.Claims["roles"])
	}
	if r.dryCalls+r.wetCalls != 0 {
		t.Errorf("claim source called for a cached value")
	}
}

func TestExplainWithFetchRefreshesInADryRun(t *testing.T) {
	r := &peekingRefresher{fakeRefresher: fakeRefresher{
		sources: map[string]fakeSource{"roles": {claim: "roles", maxAge: 5 * time.Minute}},
		values:  map[string]any{"roles": []any{"admin"}},
	}}
	p := mustCompile(t, Options{Refresher: r}, Spec{Claim: "roles", Op: OpIncludes, Values: []any{"admin"},
		MaxAge: 30 * time.Second, HasMaxAge: true})
	id := identity(t, `{"roles":["viewer"]}`)
	x, err := p.Explain(context.Background(), id, true)
	if err != nil {
		t.Fatal(err)
	}
	if x.Undetermined || x.Denial != nil || x.Claims[0].State != ClaimFetched {
		t.Fatalf("fetched claim: %+v", x)
	}
	if r.dryCalls != 1 || r.wetCalls != 0 {
		t.Errorf("refresh calls: dry %d, not dry %d; want one dry", r.dryCalls, r.wetCalls)
	}
	if v := x.Validators[0]; v.Result != ResultPassed || v.Age != 0 || !v.HasAge {
		t.Errorf("validator = %+v", v)
	}
	if id.Claims["roles"].([]any)[0] != "viewer" {
		t.Errorf("Explain modified the identity it was given")
	}

	r.err = errTestSource
	if _, err := p.Explain(context.Background(), id, true); err == nil {
		t.Errorf("a failing claim source must be Explain's error, as it is Evaluate's")
	}
}

var errTestSource = context.DeadlineExceeded

func TestExplainOfAnEmptyPolicyAllows(t *testing.T) {
	var p *Policy
	id := identity(t, `{}`)
	x, err := p.Explain(context.Background(), id, false)
	if err != nil || x.Denial != nil || x.Undetermined || x.Identity != id {
		t.Fatalf("nil policy: %+v, %v", x, err)
	}
}
