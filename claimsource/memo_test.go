package claimsource

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/verifier"
)

// evaluateOK runs Evaluate and fails the test unless the policy passes.
func evaluateOK(t *testing.T, p *policy.Policy, id *verifier.Identity) *verifier.Identity {
	t.Helper()
	out, d, err := p.Evaluate(context.Background(), id)
	if d != nil || err != nil {
		t.Fatalf("Evaluate = %v, %v; want a pass", d, err)
	}
	return out
}

// staleUser is a token identity of corp_idp/user-1, issued an hour before
// at, whose roles are stale and whose email tells it apart.
func staleUser(at time.Time, email string) *verifier.Identity {
	return &verifier.Identity{Verifier: "corp_idp", Subject: "user-1", IssuedAt: at.Add(-time.Hour),
		Claims: map[string]any{"roles": []any{"user"}, "groups": []any{"old"}, "email": email}}
}

func TestCachedRefreshReusesTheIdentityItDerived(t *testing.T) {
	clk := newFakeClock()
	src := &scriptedSource{value: constant([]any{"admin"})}
	r := refresherFor(t, clk, nil, Claim{Source: src, MaxAge: 5 * time.Minute})
	p := mustCompile(t, policy.Options{Refresher: r, Now: clk.Now}, spec("roles", policy.OpIncludes, "admin"))
	a, b := staleUser(clk.Now(), "a@example.com"), staleUser(clk.Now(), "b@example.com")

	first := evaluateOK(t, p, a) // fetched: nothing to reuse yet
	hit := evaluateOK(t, p, a)
	if again := evaluateOK(t, p, a); again != hit {
		t.Error("a cache hit for the same identity cloned it again")
	}
	other := evaluateOK(t, p, b)
	if other == hit || other.Claims["email"] != "b@example.com" {
		t.Errorf("another identity of the subject got %v; want its own copy", other.Claims)
	}
	back := evaluateOK(t, p, a)
	if back.Claims["email"] != "a@example.com" || !reflect.DeepEqual(back.Claims["roles"], []any{"admin"}) {
		t.Errorf("the first identity again got %v", back.Claims)
	}
	if !reflect.DeepEqual(a.Claims["roles"], []any{"user"}) || !reflect.DeepEqual(b.Claims["roles"], []any{"user"}) {
		t.Error("Evaluate modified an identity it was given")
	}

	clk.Advance(6 * time.Minute)
	src.set(constant([]any{"admin", "owner"}), nil)
	renewed := evaluateOK(t, p, a)
	if want := []any{"admin", "owner"}; !reflect.DeepEqual(renewed.Claims["roles"], want) {
		t.Errorf("after the value changed, forwarded roles %v; want %v", renewed.Claims["roles"], want)
	}
	if hit := evaluateOK(t, p, a); hit.Claims["roles"] == nil || !reflect.DeepEqual(hit.Claims["roles"], renewed.Claims["roles"]) {
		t.Errorf("a hit on the new value forwarded roles %v", hit.Claims["roles"])
	}
	if !reflect.DeepEqual(first.Claims["roles"], []any{"admin"}) {
		t.Error("a new cached value changed an identity handed out before")
	}
	if got := src.calls.Load(); got != 2 {
		t.Errorf("source called %d times; want 2", got)
	}
}

func TestCachedRefreshOfTwoClaimsCarriesBoth(t *testing.T) {
	clk := newFakeClock()
	roles := &scriptedSource{value: constant([]any{"admin"})}
	groups := &scriptedSource{value: constant([]any{"staff"})}
	r, err := New(Config{Now: clk.Now, Claims: []Claim{
		{Name: "roles", Source: roles, MaxAge: time.Minute}, {Name: "groups", Source: groups, MaxAge: time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	opts := policy.Options{Refresher: r, Now: clk.Now}
	rolesOnly := mustCompile(t, opts, spec("roles", policy.OpIncludes, "admin"))
	both := mustCompile(t, opts, spec("roles", policy.OpIncludes, "admin"), spec("groups", policy.OpIncludes, "staff"))
	id := staleUser(clk.Now(), "a@example.com")

	for _, step := range []struct {
		name       string
		p          *policy.Policy
		wantGroups []any
	}{
		{"one claim refreshed", rolesOnly, []any{"old"}},
		{"the same claim from the cache", rolesOnly, []any{"old"}},
		{"two claims refreshed", both, []any{"staff"}},
		{"two claims from the cache", both, []any{"staff"}},
		{"one claim from the cache after two", rolesOnly, []any{"old"}},
	} {
		out := evaluateOK(t, step.p, id)
		if !reflect.DeepEqual(out.Claims["roles"], []any{"admin"}) || !reflect.DeepEqual(out.Claims["groups"], step.wantGroups) {
			t.Errorf("%s: forwarded %v; want roles [admin] and groups %v", step.name, out.Claims, step.wantGroups)
		}
	}
	if !reflect.DeepEqual(id.Claims["groups"], []any{"old"}) {
		t.Error("Evaluate modified the identity it was given")
	}
}

func TestRefresherReusesEvaluatesClockOnlyWhenBothUseTheSystemClock(t *testing.T) {
	yearAgo := &fakeClock{t: time.Now().AddDate(-1, 0, 0)}
	yearAhead := &fakeClock{t: time.Now().AddDate(1, 0, 0)}
	for _, tc := range []struct {
		name                  string
		policyNow, refreshNow func() time.Time
	}{
		{"both on the system clock", nil, nil},
		{"a refresher on its own clock keeps it", nil, yearAgo.Now},
		{"a policy on its own clock keeps it to itself", yearAhead.Now, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &scriptedSource{value: constant([]any{"admin"})}
			r, err := New(Config{Now: tc.refreshNow, Claims: []Claim{
				{Name: "roles", Source: src, MaxAge: time.Hour}}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(r.Close)
			p, err := policy.Compile([]policy.Spec{spec("roles", policy.OpIncludes, "admin")}, policy.Options{Refresher: r, Now: tc.policyNow})
			if err != nil {
				t.Fatal(err)
			}
			id := &verifier.Identity{Verifier: "corp_idp", Subject: "user-1", Claims: map[string]any{}}
			for range 3 {
				evaluateOK(t, p, id)
			}
			if got := src.calls.Load(); got != 1 {
				t.Errorf("source called %d times; want 1 (the cached value is minutes old)", got)
			}
		})
	}
}

// systemClockRolesPolicy is `require roles includes admin` with a roles
// source cached for an hour, policy and refresher both on the system clock
// (the configuration in which Evaluate hands its clock to the refresher).
func systemClockRolesPolicy(t *testing.T) *policy.Policy {
	t.Helper()
	src := &scriptedSource{value: constant([]any{"admin"})}
	r, err := New(Config{Claims: []Claim{
		{Name: "roles", Source: src, MaxAge: time.Hour}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	p, err := policy.Compile([]policy.Spec{spec("roles", policy.OpIncludes, "admin")}, policy.Options{Refresher: r})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCachedRefreshDoesNotCloneTheIdentityAgain(t *testing.T) {
	p := systemClockRolesPolicy(t)
	id := staleUser(time.Now(), "a@example.com")
	evaluateOK(t, p, id)
	allocs := testing.AllocsPerRun(200, func() { evaluateOK(t, p, id) })
	if allocs >= 1 {
		t.Errorf("a cached refresh allocated %v times per run; want under one (no clone)", allocs)
	}
}

func TestCachedRefreshIsSafeForConcurrentIdentities(t *testing.T) {
	p := systemClockRolesPolicy(t)
	ids := []*verifier.Identity{staleUser(time.Now(), "a@example.com"), staleUser(time.Now(), "b@example.com")}
	errs := make(chan string, 4)
	for w := range 4 {
		go func() {
			for i := range 200 {
				id := ids[(w+i)%2]
				out, d, err := p.Evaluate(context.Background(), id)
				if d != nil || err != nil || out.Claims["email"] != id.Claims["email"] ||
					!reflect.DeepEqual(out.Claims["roles"], []any{"admin"}) {
					errs <- "an identity was forwarded with another's claims or without the refresh"
					return
				}
			}
			errs <- ""
		}()
	}
	for range 4 {
		if msg := <-errs; msg != "" {
			t.Fatal(msg)
		}
	}
}
