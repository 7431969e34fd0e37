package policy

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// newTestChecker builds a Checker with a global `require tenant exists`
// (unless global is given) and the checks admin_area (roles includes
// admin, mfa is_true) and writer (permission blog:write).
func newTestChecker(t *testing.T, opts Options, global ...Spec) *Checker {
	t.Helper()
	if opts.Now == nil {
		opts.Now = clock
	}
	if opts.Roles == nil {
		opts.Roles = testRoles
	}
	if global == nil {
		global = []Spec{{Claim: "tenant", Op: OpExists}}
	}
	named := map[string]*Policy{
		"admin_area": mustCompile(t, opts, Spec{Claim: "roles", Op: OpIncludes, Values: []any{"admin"}},
			Spec{Claim: "mfa", Op: OpIsTrue}),
		"writer": mustCompile(t, opts, Spec{Op: OpPermission, Values: []any{"blog:write"}}),
	}
	c, err := NewChecker(mustCompile(t, opts, global...), named, opts)
	if err != nil {
		t.Fatalf("NewChecker: %v", err)
	}
	return c
}

// check asks c the questions about a token identity with claims, and
// returns each answer's 403 body ("" for allowed).
func check(t *testing.T, c *Checker, claims string, qs ...Question) []string {
	t.Helper()
	ds, err := c.Check(context.Background(), identity(t, claims), qs)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = body(t, d)
	}
	return out
}

func TestCheckerAnswersPermissionsAndNamedChecks(t *testing.T) {
	c := newTestChecker(t, Options{})
	tests := []struct {
		name   string
		claims string
		q      Question
		want   string // 403 body, "" for allowed
	}{
		{"a permission a role grants holds", `{"tenant":"a","roles":["editor"]}`,
			Question{Permission: "blog:write"}, ""},
		{"a permission no role of the identity grants does not", `{"tenant":"a","roles":["viewer"]}`,
			Question{Permission: "blog:write"}, denied("permission:blog:write",
				`{"message":"wrong value","expectedPermission":"blog:write","actualValue":["viewer"]}`)},
		{"a permission no role grants at all is simply refused", `{"tenant":"a","roles":["editor"]}`,
			Question{Permission: "payroll:read"}, denied("permission:payroll:read",
				`{"message":"wrong value","expectedPermission":"payroll:read","actualValue":["editor"]}`)},
		{"a * in a permission is literal, as in require permission", `{"tenant":"a","roles":["viewer"]}`,
			Question{Permission: "blog:*"}, denied("permission:blog:*",
				`{"message":"wrong value","expectedPermission":"blog:*","actualValue":["viewer"]}`)},
		{"a named check holds when all its validators do", `{"tenant":"a","roles":["admin"],"mfa":true}`,
			Question{Check: "admin_area"}, ""},
		{"a named check reports every failing validator", `{"tenant":"a","roles":["user"]}`,
			Question{Check: "admin_area"},
			`{"message":"invalid claim","claimValidationErrors":[` +
				`{"id":"roles","reason":{"message":"wrong value","expectedToInclude":"admin","actualValue":["user"]}},` +
				`{"id":"mfa","reason":{"message":"value does not exist","expectedValue":true}}]}`},
		{"a failing global validator refuses whatever is asked", `{"roles":["admin"],"mfa":true}`,
			Question{Check: "admin_area"}, denied("tenant", `{"message":"value does not exist"}`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := check(t, c, tc.claims, tc.q)[0]; got != tc.want {
				t.Errorf("answer\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestCheckerAnswersInOrderAndGlobalFailureRefusesAll(t *testing.T) {
	c := newTestChecker(t, Options{})
	qs := []Question{{Permission: "blog:read"}, {Check: "admin_area"}, {Check: "writer"}}
	got := check(t, c, `{"tenant":"a","roles":["viewer"]}`, qs...)
	if got[0] != "" || !strings.Contains(got[1], `"id":"roles"`) || !strings.Contains(got[2], `"id":"permission:blog:write"`) {
		t.Fatalf("answers = %q", got)
	}
	got = check(t, c, `{"roles":["admin"],"mfa":true}`, qs...)
	for i, b := range got {
		if b != denied("tenant", `{"message":"value does not exist"}`) {
			t.Errorf("answer %d = %s, want the global failure", i, b)
		}
	}
}

func TestCheckerRefusesQuestionsItCannotAsk(t *testing.T) {
	tests := []struct {
		name string
		q    Question
		want error
	}{
		{"an undeclared check", Question{Check: "nope"}, ErrUnknownCheck},
		{"an empty question", Question{}, ErrBadQuestion},
		{"a question asking for both", Question{Permission: "blog:read", Check: "writer"}, ErrBadQuestion},
		{"a permission with a space", Question{Permission: "blog read"}, ErrBadPermission},
		{"a permission with a control character", Question{Permission: "blog:\x00read"}, ErrBadPermission},
		{"a permission with a newline", Question{Permission: "blog:read\n"}, ErrBadPermission},
		{"a permission that is not UTF-8", Question{Permission: "blog:\xff"}, ErrBadPermission},
		{"a permission over the size cap", Question{Permission: strings.Repeat("p", MaxPermissionBytes+1)}, ErrBadPermission},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &fakeRefresher{sources: map[string]fakeSource{"tenant": {claim: "tenant", maxAge: 0}}}
			c := newTestChecker(t, Options{Refresher: r})
			// A bad question after a good one fails the whole call before
			// anything is evaluated or fetched.
			_, err := c.Check(context.Background(), identity(t, `{}`), []Question{{Permission: "blog:read"}, tc.q})
			wantErrorIs(t, err, tc.want)
			if n := r.callsFor("tenant"); n != 0 {
				t.Errorf("%d claim fetches for a refused question", n)
			}
			if strings.Contains(err.Error(), "nope") || strings.Contains(err.Error(), "blog") {
				t.Errorf("error %q echoes the question", err)
			}
		})
	}
}

func TestCheckerRefreshesThroughTheRefresher(t *testing.T) {
	r := &fakeRefresher{
		sources: map[string]fakeSource{"roles": {claim: "roles", maxAge: 0}},
		values:  map[string]any{"roles": []any{"editor"}},
	}
	c := newTestChecker(t, Options{Refresher: r}, Spec{Claim: "tenant", Op: OpExists})
	got := check(t, c, `{"tenant":"a","roles":["viewer"]}`, Question{Permission: "blog:write"}, Question{Check: "writer"})
	if got[0] != "" || got[1] != "" {
		t.Fatalf("answers = %q, want both allowed by the refreshed roles", got)
	}
	if n := r.callsFor("roles"); n != 2 {
		t.Errorf("roles fetched %d times, want once per question asking for them", n)
	}
	r.err = errors.New("source down")
	_, err := c.Check(context.Background(), identity(t, `{"tenant":"a"}`), []Question{{Permission: "blog:write"}})
	wantErrorIs(t, err, ErrRefreshUnavailable)
}

func TestCheckerEvaluatesAQuestionAskedTwiceOnce(t *testing.T) {
	r := &fakeRefresher{
		sources: map[string]fakeSource{"roles": {claim: "roles", maxAge: 0}},
		values:  map[string]any{"roles": []any{"editor"}},
	}
	c := newTestChecker(t, Options{Refresher: r}, Spec{Claim: "tenant", Op: OpExists})
	qs := []Question{{Check: "writer"}, {Permission: "blog:read"}, {Check: "writer"}, {Check: "writer"}}
	got := check(t, c, `{"tenant":"a","roles":["viewer"]}`, qs...)
	if len(got) != 4 || got[0] != "" || got[1] != "" || got[2] != "" || got[3] != "" {
		t.Fatalf("answers = %q, want four, allowed", got)
	}
	if n := r.callsFor("roles"); n != 2 {
		t.Errorf("roles fetched %d times, want once per distinct question", n)
	}
}

func TestNewCheckerRefusesBadNamesAndEmptyChecks(t *testing.T) {
	opts := Options{Now: clock, Roles: testRoles}
	ok := mustCompile(t, opts, Spec{Claim: "mfa", Op: OpIsTrue})
	for _, name := range []string{"", "-lead", "has space", "semi;colon", "über", strings.Repeat("n", MaxCheckNameBytes+1)} {
		if _, err := NewChecker(nil, map[string]*Policy{name: ok}, opts); !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("name %q: error %v, want ErrInvalidSpec", name, err)
		}
	}
	for _, name := range []string{"admin_area", "a", "billing:write", "v1.reports-read", strings.Repeat("n", MaxCheckNameBytes)} {
		if _, err := NewChecker(nil, map[string]*Policy{name: ok}, opts); err != nil {
			t.Errorf("name %q: %v", name, err)
		}
	}
	if _, err := NewChecker(nil, map[string]*Policy{"empty": nil}, opts); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("a check without validators: error %v, want ErrInvalidSpec", err)
	}
}

func TestCheckerWithoutGlobalValidatorsAsksOnlyTheQuestion(t *testing.T) {
	opts := Options{Now: clock, Roles: testRoles}
	c, err := NewChecker(nil, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := check(t, c, `{"roles":["owner"]}`, Question{Permission: "blog:posts:delete"}); got[0] != "" {
		t.Fatalf("answer = %s, want allowed", got[0])
	}
}
