package policy

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
)

// rolesSource backs the roles claim with a refresher whose default max age
// is def.
func rolesSource(def time.Duration, value any) *fakeRefresher {
	return &fakeRefresher{
		sources: map[string]fakeSource{"roles": {"roles", def}},
		values:  map[string]any{"roles": value},
	}
}

func withMaxAge(s Spec, d time.Duration) Spec {
	s.MaxAge, s.HasMaxAge = d, true
	return s
}

func TestRefreshBeforeValidation(t *testing.T) {
	tests := []struct {
		name      string
		def       time.Duration // the source's default max age
		spec      Spec
		claims    string
		iat       time.Duration // token age
		wantCalls int
		wantBody  string // "" for a pass
	}{
		{"a missing claim is refetched and then validated", NoMaxAge,
			spec("roles", OpIncludes, "admin"), `{}`, time.Minute, 1, ""},
		{"a stale claim is refetched", 5 * time.Minute,
			spec("roles", OpIncludes, "admin"), `{"roles":["user"]}`, 10 * time.Minute, 1, ""},
		{"a fresh claim is not refetched", 5 * time.Minute,
			spec("roles", OpIncludes, "admin"), `{"roles":["admin"]}`, time.Minute, 0, ""},
		{"a validator's own max age overrides the source default", 5 * time.Minute,
			withMaxAge(spec("roles", OpIncludes, "admin"), time.Hour), `{"roles":["admin"]}`, 10 * time.Minute, 0, ""},
		{"a source without a default refetches only missing claims", NoMaxAge,
			spec("roles", OpIncludes, "admin"), `{"roles":["admin"]}`, 240 * time.Hour, 0, ""},
		{"max age 0 refetches a value issued this instant", 5 * time.Minute,
			withMaxAge(spec("roles", OpIncludes, "admin"), 0), `{"roles":["admin"]}`, 0, 1, ""},
		{"a refreshed value that fails is reported with the refreshed value", NoMaxAge,
			spec("roles", OpIncludes, "root"), `{}`, time.Minute, 1,
			denied("roles", `{"message":"wrong value","expectedToInclude":"root","actualValue":["admin"]}`)},
		{"a default max age 0 refetches every request", 0,
			spec("roles", OpIncludes, "admin"), `{"roles":["user"]}`, 0, 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rolesSource(tc.def, []any{"admin"})
			p := mustCompile(t, Options{Refresher: r}, tc.spec)
			id := identity(t, tc.claims)
			id.IssuedAt = ago(tc.iat)
			if got := evaluate(t, p, id); got != tc.wantBody {
				t.Errorf("body\n got %s\nwant %s", got, tc.wantBody)
			}
			if got := r.callsFor("roles"); got != tc.wantCalls {
				t.Errorf("Refresh called %d times; want %d", got, tc.wantCalls)
			}
		})
	}
}

func TestRefreshHappensOncePerClaimPerEvaluate(t *testing.T) {
	r := rolesSource(5*time.Minute, []any{"editor"})
	r.sources["team"] = fakeSource{"team", time.Minute}
	r.values["team"] = "blue"
	p := mustCompile(t, Options{Refresher: r},
		withMaxAge(Spec{ID: "not-banned", Claim: "roles", Op: OpExcludes, Values: []any{"banned"}}, 0),
		Spec{ID: "editor", Claim: "roles", Op: OpIncludes, Values: []any{"editor"}},
		Spec{Op: OpPermission, Values: []any{"blog:write"}},
		spec("team", OpHasValue, "blue"),
		Spec{ID: "team-set", Claim: "team", Op: OpExists},
	)
	id := identity(t, `{"roles":["viewer"],"team":"red"}`)
	id.IssuedAt = ago(time.Hour)
	for i := 1; i <= 3; i++ {
		if got := evaluate(t, p, id); got != "" {
			t.Fatalf("Evaluate %d: %s", i, got)
		}
		if r.callsFor("roles") != i || r.callsFor("team") != i {
			t.Fatalf("after %d Evaluates: roles refreshed %d times, team %d; want %d each",
				i, r.callsFor("roles"), r.callsFor("team"), i)
		}
	}
}

func TestRefreshAsksForTheStrictestMaxAge(t *testing.T) {
	tests := []struct {
		name   string
		specs  []Spec
		claims string
		want   time.Duration
	}{
		{"the smallest max age of the stale validators wins", []Spec{
			withMaxAge(Spec{ID: "a", Claim: "roles", Op: OpExists}, 10*time.Minute),
			withMaxAge(Spec{ID: "b", Claim: "roles", Op: OpExists}, time.Minute),
		}, `{"roles":[]}`, time.Minute},
		{"a missing claim with no max age asks for any value", []Spec{
			{ID: "a", Claim: "roles", Op: OpExists},
		}, `{}`, NoMaxAge},
		{"a real max age beats no max age", []Spec{
			{ID: "a", Claim: "roles", Op: OpExists},
			withMaxAge(Spec{ID: "b", Claim: "roles", Op: OpExists}, 10*time.Minute),
		}, `{}`, 10 * time.Minute},
		{"max age 0 asks for a fetch now", []Spec{
			withMaxAge(Spec{ID: "a", Claim: "roles", Op: OpExists}, 10*time.Minute),
			withMaxAge(Spec{ID: "b", Claim: "roles", Op: OpExists}, 0),
		}, `{"roles":[]}`, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rolesSource(NoMaxAge, []any{})
			p := mustCompile(t, Options{Refresher: r}, tc.specs...)
			id := identity(t, tc.claims)
			id.IssuedAt = ago(time.Hour)
			evaluate(t, p, id)
			if !reflect.DeepEqual(r.maxAges, []time.Duration{tc.want}) {
				t.Errorf("Refresh max ages = %v; want [%v]", r.maxAges, tc.want)
			}
		})
	}
}

func TestRefreshedClaimsAreForwardedInACopy(t *testing.T) {
	r := rolesSource(5*time.Minute, map[string]any{"v": []any{"admin"}, "t": 1.0})
	r.fetched = ago(24 * time.Hour) // a stale_if_error answer still counts as fresh
	p := mustCompile(t, Options{Refresher: r}, spec("roles", OpIncludes, "admin"), spec("email", OpExists))
	id := identity(t, `{"roles":["user"],"email":"a@example.com"}`)
	id.IssuedAt = ago(time.Hour)
	out, d, err := p.Evaluate(context.Background(), id)
	if err != nil || d != nil {
		t.Fatalf("Evaluate = %v, %v; want a pass", d, err)
	}
	if out == id {
		t.Fatal("Evaluate returned the input identity after a refresh")
	}
	want := map[string]any{"roles": []any{"admin"}, "email": "a@example.com"}
	if !reflect.DeepEqual(out.Claims, want) {
		t.Errorf("forwarded claims = %v; want %v", out.Claims, want)
	}
	if !reflect.DeepEqual(id.Claims["roles"], []any{"user"}) {
		t.Errorf("input identity was modified: %v", id.Claims)
	}
	if out.Subject != id.Subject || out.Verifier != id.Verifier {
		t.Errorf("copy lost identity fields: %+v", out)
	}
}

func TestNothingRefreshedReturnsTheSameIdentity(t *testing.T) {
	r := rolesSource(5*time.Minute, []any{"admin"})
	p := mustCompile(t, Options{Refresher: r}, spec("roles", OpIncludes, "admin"))
	id := identity(t, `{"roles":["admin"]}`)
	if out, _, _ := p.Evaluate(context.Background(), id); out != id {
		t.Error("Evaluate copied an identity it did not change")
	}
}

func TestRefreshFailureFailsClosed(t *testing.T) {
	cause := errors.New("dialing users.internal: connection refused")
	r := rolesSource(5*time.Minute, nil)
	r.err = cause
	p := mustCompile(t, Options{Refresher: r}, spec("roles", OpIncludes, "admin"), spec("missing", OpExists))
	id := identity(t, `{"roles":["admin"]}`)
	id.IssuedAt = ago(time.Hour)
	out, d, err := p.Evaluate(context.Background(), id)
	if out != nil || d != nil {
		t.Errorf("Evaluate = %v, %v with an error; want nil, nil", out, d)
	}
	wantErrorIs(t, err, ErrRefreshUnavailable)
	wantErrorIs(t, err, cause)
	var re *RefreshError
	if !errors.As(err, &re) || re.Claim != "roles" {
		t.Fatalf("error %v is not a *RefreshError for roles", err)
	}
	const wantMsg = `refreshing claim "roles": dialing users.internal: connection refused`
	if err.Error() != wantMsg {
		t.Errorf("Error() = %q; want %q", err.Error(), wantMsg)
	}
}

func TestRefreshPassesTheRequestContext(t *testing.T) {
	r := rolesSource(5*time.Minute, []any{"admin"})
	p := mustCompile(t, Options{Refresher: r}, spec("roles", OpIncludes, "admin"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := p.Evaluate(ctx, identity(t, `{}`))
	wantErrorIs(t, err, context.Canceled)
	wantErrorIs(t, err, ErrRefreshUnavailable)
}

func TestStaleClaimWithoutSourceExpiresWhileAnotherIsRefreshed(t *testing.T) {
	r := rolesSource(5*time.Minute, []any{"admin"})
	p := mustCompile(t, Options{Refresher: r},
		spec("roles", OpIncludes, "admin"),
		withMaxAge(spec("mfa", OpIsTrue), 5*time.Minute))
	id := identity(t, `{"roles":["user"],"mfa":true}`)
	id.IssuedAt = ago(10 * time.Minute)
	want := denied("mfa", `{"message":"expired","ageInSeconds":600,"maxAgeInSeconds":300}`)
	if got := evaluate(t, p, id); got != want {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
	if r.callsFor("roles") != 1 || r.callsFor("mfa") != 0 {
		t.Errorf("calls = %v; want roles once and mfa never", r.calls)
	}
}

func TestNestedPathsRefreshTheirTopLevelClaim(t *testing.T) {
	r := &fakeRefresher{
		sources: map[string]fakeSource{"realm_access.roles": {"realm_access", time.Minute}},
		values:  map[string]any{"realm_access": map[string]any{"roles": []any{"admin"}}},
	}
	p := mustCompile(t, Options{Refresher: r}, spec("realm_access.roles", OpIncludes, "admin"))
	id := identity(t, `{"realm_access":{"roles":["user"]}}`)
	id.IssuedAt = ago(time.Hour)
	if got := evaluate(t, p, id); got != "" {
		t.Errorf("got %s; want a pass", got)
	}
}

func TestMergedPoliciesShareOneRefreshPerClaim(t *testing.T) {
	r := rolesSource(0, []any{"admin", "editor"})
	opts := Options{Refresher: r, Roles: testRoles, Now: clock}
	global, err := Compile([]Spec{{ID: "g", Claim: "roles", Op: OpIncludes, Values: []any{"admin"}}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	route, err := Compile([]Spec{{Op: OpPermission, Values: []any{"blog:write"}}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Merge(global, route, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := evaluate(t, p, identity(t, `{}`)); got != "" || r.callsFor("roles") != 1 {
		t.Errorf("got %q with %d refreshes; want a pass with 1", got, r.callsFor("roles"))
	}
}

func TestEvaluateIsSafeForConcurrentUse(t *testing.T) {
	r := rolesSource(0, []any{"admin"})
	p := mustCompile(t, Options{Refresher: r}, spec("roles", OpIncludes, "admin"), spec("email", OpExists))
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 50 {
				id := &verifier.Identity{Verifier: "corp_idp", Subject: "user-1",
					Claims: map[string]any{"email": "a@example.com"}}
				if _, d, err := p.Evaluate(context.Background(), id); d != nil || err != nil {
					t.Errorf("Evaluate = %v, %v", d, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := r.callsFor("roles"); got != 16*50 {
		t.Errorf("refreshed %d times; want %d", got, 16*50)
	}
}

func TestManyRefreshableClaimsAreEachRefreshedOnce(t *testing.T) {
	r := &fakeRefresher{sources: map[string]fakeSource{}, values: map[string]any{}}
	var specs []Spec
	for i := range 12 {
		name := "c" + strconv.Itoa(i)
		r.sources[name] = fakeSource{name, NoMaxAge}
		r.values[name] = true
		specs = append(specs, spec(name, OpIsTrue))
	}
	p := mustCompile(t, Options{Refresher: r}, specs...)
	out, d, err := p.Evaluate(context.Background(), identity(t, `{"c3":true}`))
	if d != nil || err != nil {
		t.Fatalf("Evaluate = %v, %v; want a pass", d, err)
	}
	for i := range 12 {
		name := "c" + strconv.Itoa(i)
		want := 1
		if i == 3 {
			want = 0 // present, and no max age applies
		}
		if got := r.callsFor(name); got != want {
			t.Errorf("%s refreshed %d times; want %d", name, got, want)
		}
		if out.Claims[name] != true {
			t.Errorf("%s not forwarded: %v", name, out.Claims[name])
		}
	}
}
