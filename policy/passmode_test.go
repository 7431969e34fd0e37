package policy

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// passPolicy compiles roles includes admin, mfa is_true and email exists,
// with the ids in pass mode.
func passPolicy(t *testing.T, ids ...string) *Policy {
	t.Helper()
	p := mustCompile(t, Options{}, spec("roles", OpIncludes, "admin"), spec("mfa", OpIsTrue), spec("email", OpExists))
	soft, err := p.WithPass(ids)
	if err != nil {
		t.Fatalf("WithPass(%q): %v", ids, err)
	}
	return soft
}

func evaluateDenial(t *testing.T, p *Policy, claims string) *Denial {
	t.Helper()
	_, d, err := p.Evaluate(context.Background(), identity(t, claims))
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	return d
}

func failedIDs(d *Denial) []string {
	var ids []string
	for _, f := range d.Failures {
		ids = append(ids, f.ID)
	}
	return ids
}

func TestPassModeSoftensOnlyWhenEveryFailureIsInPassMode(t *testing.T) {
	p := passPolicy(t, "mfa", "email")
	for _, tc := range []struct {
		name, claims string
		wantIDs      []string
		wantSoft     bool
	}{
		{"nothing fails", `{"roles":["admin"],"mfa":true,"email":"a@x"}`, nil, false},
		{"one pass-mode validator fails", `{"roles":["admin"],"mfa":false,"email":"a@x"}`, []string{"mfa"}, true},
		{"two pass-mode validators fail", `{"roles":["admin"]}`, []string{"mfa", "email"}, true},
		{"an enforced validator fails alone", `{"roles":["user"],"mfa":true,"email":"a@x"}`, []string{"roles"}, false},
		{"enforced and pass-mode fail: hard, every failure listed", `{"roles":["user"],"mfa":false}`,
			[]string{"roles", "mfa", "email"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := evaluateDenial(t, p, tc.claims)
			if tc.wantIDs == nil {
				if d != nil {
					t.Fatalf("denial %v, want none", d)
				}
				return
			}
			if d == nil || !slices.Equal(failedIDs(d), tc.wantIDs) || d.Soft() != tc.wantSoft {
				t.Fatalf("denial %+v, want failures %q soft %v", d, tc.wantIDs, tc.wantSoft)
			}
			if !errors.Is(d, ErrDenied) {
				t.Error("a soft denial no longer matches ErrDenied")
			}
		})
	}
}

func TestWithoutPassModeEveryDenialIsHard(t *testing.T) {
	p := passPolicy(t)
	if d := evaluateDenial(t, p, `{"roles":["admin"],"mfa":false,"email":"a@x"}`); d == nil || d.Soft() {
		t.Fatalf("denial %+v, want a hard one", d)
	}
	if (&Denial{Failures: []Failure{{ID: "x"}}}).Soft() {
		t.Error("a Denial built outside Evaluate is soft; it must fail closed")
	}
}

func TestWithPassRefusesUnknownAndRepeatedIDs(t *testing.T) {
	p := passPolicy(t)
	if _, err := p.WithPass([]string{"nope"}); !errors.Is(err, ErrUnknownID) {
		t.Errorf("unknown id: error %v, want ErrUnknownID", err)
	}
	if _, err := p.WithPass([]string{"mfa", "mfa"}); !errors.Is(err, ErrDuplicateID) {
		t.Errorf("repeated id: error %v, want ErrDuplicateID", err)
	}
	var nilPolicy *Policy
	if _, err := nilPolicy.WithPass([]string{"mfa"}); !errors.Is(err, ErrUnknownID) {
		t.Errorf("nil policy: error %v, want ErrUnknownID", err)
	}
}

func TestWithPassLeavesThePolicyUnchanged(t *testing.T) {
	p := passPolicy(t)
	soft, err := p.WithPass([]string{"email", "roles"})
	if err != nil {
		t.Fatal(err)
	}
	if got := soft.PassIDs(); !slices.Equal(got, []string{"roles", "email"}) {
		t.Errorf("PassIDs = %q, want evaluation order [roles email]", got)
	}
	if !soft.Passes("roles") || soft.Passes("mfa") || soft.Passes("nope") {
		t.Error("Passes disagrees with WithPass")
	}
	if p.PassIDs() != nil || p.Passes("roles") {
		t.Error("WithPass changed the policy it was called on")
	}
	if d := evaluateDenial(t, p, `{"roles":["user"],"mfa":true,"email":"a@x"}`); d.Soft() {
		t.Error("the original policy gives soft denials")
	}
}

func TestAGlobalValidatorCanBeInPassModeOnAMergedRoute(t *testing.T) {
	global := mustCompile(t, Options{}, spec("mfa", OpIsTrue))
	route := mustCompile(t, Options{}, spec("roles", OpIncludes, "admin"))
	merged, err := Merge(global, route, nil)
	if err != nil {
		t.Fatal(err)
	}
	soft, err := merged.WithPass([]string{"mfa"})
	if err != nil {
		t.Fatal(err)
	}
	if d := evaluateDenial(t, soft, `{"roles":["admin"],"mfa":false}`); d == nil || !d.Soft() {
		t.Fatalf("denial %+v, want soft", d)
	}
	if d := evaluateDenial(t, merged, `{"roles":["admin"],"mfa":false}`); d == nil || d.Soft() {
		t.Fatalf("the merged policy without pass mode: denial %+v, want hard", d)
	}
}

// A claim source that fails is a 503 whatever the mode of the validators
// reading the claim: pass mode never turns "unavailable" into "passed".
func TestPassModeNeverSoftensARefreshFailure(t *testing.T) {
	r := rolesSource(5*time.Minute, nil)
	r.err = errors.New("connection refused")
	p, err := mustCompile(t, Options{Refresher: r}, spec("roles", OpIncludes, "admin")).WithPass([]string{"roles"})
	if err != nil {
		t.Fatal(err)
	}
	_, d, err := p.Evaluate(context.Background(), identity(t, `{}`))
	if d != nil {
		t.Errorf("denial %+v with a failing claim source", d)
	}
	wantErrorIs(t, err, ErrRefreshUnavailable)
}

func TestPassModePassingDoesNotAllocate(t *testing.T) {
	p := passPolicy(t, "mfa")
	id := identity(t, `{"roles":["admin"],"mfa":true,"email":"a@x"}`)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(200, func() {
		if _, d, err := p.Evaluate(ctx, id); d != nil || err != nil {
			t.Fatal(d, err)
		}
	})
	if allocs != 0 {
		t.Errorf("Evaluate allocated %v times per passing run; want 0", allocs)
	}
}

// The header carries the 403 body's claimValidationErrors, the same reasons.
func TestClaimErrorsIsTheListOfTheDenialBody(t *testing.T) {
	d := evaluateDenial(t, passPolicy(t, "mfa", "email"), `{"roles":["admin"],"mfa":false}`)
	const want = `[{"id":"mfa","reason":{"message":"wrong value","expectedValue":true,"actualValue":false}},` +
		`{"id":"email","reason":{"message":"value does not exist"}}]`
	if got := d.ClaimErrors(); got != want {
		t.Fatalf("ClaimErrors = %s\nwant %s", got, want)
	}
	var fromBody struct {
		Errors json.RawMessage `json:"claimValidationErrors"`
	}
	if err := json.Unmarshal([]byte(body(t, d)), &fromBody); err != nil || string(fromBody.Errors) != want {
		t.Errorf("403 body list %s differs from the header %s (%v)", fromBody.Errors, want, err)
	}
}

// Every byte outside printable ASCII is escaped, and the JSON reads back
// to the very values: nothing can end the header or be decoded as Latin-1.
func TestClaimErrorsIsPrintableASCIIAndExact(t *testing.T) {
	p, err := mustCompile(t, Options{}, spec("name", OpHasValue, "x")).WithPass([]string{"name"})
	if err != nil {
		t.Fatal(err)
	}
	const hostile = "Zoë \u2028 \x7f \u0085 \r\n\x00 😀 \"q\" <b>&"
	claims, _ := json.Marshal(map[string]string{"name": hostile})
	d := evaluateDenial(t, p, string(claims))
	got := d.ClaimErrors()
	for i := 0; i < len(got); i++ {
		if got[i] < 0x20 || got[i] >= 0x7f {
			t.Fatalf("byte %#x at %d in %q", got[i], i, got)
		}
	}
	var back []struct {
		Reason struct {
			Actual string `json:"actualValue"`
		} `json:"reason"`
	}
	if err := json.Unmarshal([]byte(got), &back); err != nil || len(back) != 1 || back[0].Reason.Actual != hostile {
		t.Fatalf("%s reads back as %+v (%v), want %q", got, back, err, hostile)
	}
}

func TestClaimErrorsStaysUnderItsCap(t *testing.T) {
	p, err := mustCompile(t, Options{}, spec("groups", OpIncludes, "staff"), spec("mfa", OpIsTrue)).
		WithPass([]string{"groups", "mfa"})
	if err != nil {
		t.Fatal(err)
	}
	groups := make([]string, 600)
	for i := range groups {
		groups[i] = "group-with-a-long-name"
	}
	claims, _ := json.Marshal(map[string]any{"groups": groups, "mfa": false})
	d := evaluateDenial(t, p, string(claims))
	got := d.ClaimErrors()
	if len(got) > MaxClaimErrorsBytes || strings.Contains(got, "actualValue") {
		t.Fatalf("ClaimErrors is %d bytes with actual values; want at most %d without", len(got), MaxClaimErrorsBytes)
	}
	var back []Failure
	if err := json.Unmarshal([]byte(got), &back); err != nil {
		t.Fatal(err)
	}
	if ids := []string{back[0].ID, back[1].ID}; !reflect.DeepEqual(ids, []string{"groups", "mfa"}) {
		t.Errorf("ids %q, want both failures kept", ids)
	}
	if !strings.Contains(got, `"expectedToInclude":"staff"`) {
		t.Errorf("%s lost the expectation, which fitted", got)
	}
	if d.Failures[0].Reason.HasActual != true {
		t.Error("ClaimErrors trimmed the denial itself")
	}
}

// A value that JSON cannot encode loses its actualValue like an oversized
// one: an empty list would tell the upstream that nothing failed.
func TestClaimErrorsNeverDropsAFailureItCannotEncode(t *testing.T) {
	d := &Denial{Failures: []Failure{
		{ID: "mfa", Reason: Reason{Message: MessageWrongValue, ExpectedField: FieldExpectedValue, Expected: true, Actual: math.NaN(), HasActual: true}},
		{ID: "plan", Reason: Reason{Message: MessageMissing, ExpectedField: FieldExpectedToBeOneOf, Expected: []any{"pro"}}},
	}}
	want := `[{"id":"mfa","reason":{"message":"wrong value","expectedValue":true}},` +
		`{"id":"plan","reason":{"message":"value does not exist","expectedToBeOneOf":["pro"]}}]`
	if got := d.ClaimErrors(); got != want {
		t.Fatalf("ClaimErrors = %s, want %s", got, want)
	}
}

// Explain predicts what Evaluate decides: each validator's mode, and a
// soft denial when only validators in pass mode fail.
func TestExplainShowsPassModeAndSoftDenials(t *testing.T) {
	p := passPolicy(t, "mfa", "email")
	for claims, wantSoft := range map[string]bool{
		`{"roles":["admin"],"mfa":false}`: true,
		`{"roles":["user"],"mfa":false}`:  false,
	} {
		x, err := p.Explain(context.Background(), identity(t, claims), false)
		if err != nil {
			t.Fatal(err)
		}
		var modes []string
		for _, v := range x.Validators {
			modes = append(modes, v.Mode)
		}
		if !slices.Equal(modes, []string{ModeEnforce, ModePass, ModePass}) {
			t.Errorf("modes %q, want enforce pass pass", modes)
		}
		d := evaluateDenial(t, p, claims)
		if x.Denial == nil || x.Denial.Soft() != wantSoft || d.Soft() != wantSoft {
			t.Errorf("%s: explained %+v, evaluated %+v; want soft %v for both", claims, x.Denial, d, wantSoft)
		}
	}
}

func TestAppendFailuresListsEachFailureOnce(t *testing.T) {
	mfa := Failure{ID: "mfa", Reason: Reason{Message: MessageWrongValue, ExpectedField: FieldExpectedValue, Expected: true, Actual: false, HasActual: true}}
	email := Failure{ID: "email_verified", Reason: Reason{Message: MessageMissing, ExpectedField: FieldExpectedValue, Expected: true}}
	// The same id with another reason: two handlers' validators that
	// share an id are both reported.
	mfaMissing := Failure{ID: "mfa", Reason: Reason{Message: MessageMissing, ExpectedField: FieldExpectedValue, Expected: true}}
	for _, tc := range []struct {
		name           string
		earlier, later []Failure
		want           []Failure
	}{
		{"nothing earlier", nil, []Failure{mfa}, []Failure{mfa}},
		{"nothing later", []Failure{mfa}, nil, []Failure{mfa}},
		{"earlier first, then the new ones", []Failure{email, mfa}, []Failure{email, mfaMissing}, []Failure{email, mfa, mfaMissing}},
		{"an equal failure once", []Failure{mfa}, []Failure{mfa}, []Failure{mfa}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			earlier := slices.Clone(tc.earlier)
			got := AppendFailures(tc.earlier, tc.later)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("AppendFailures = %+v, want %+v", got, tc.want)
			}
			if !reflect.DeepEqual(tc.earlier, earlier) {
				t.Fatalf("earlier modified: %+v", tc.earlier)
			}
		})
	}
}
