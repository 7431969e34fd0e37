package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDenialBodyMatchesTheSpecExample(t *testing.T) {
	p := mustCompile(t, Options{}, spec("roles", OpIncludes, "admin"))
	got := evaluate(t, p, identity(t, `{"roles":["user"]}`))
	const want = `{"message":"invalid claim","claimValidationErrors":[{"id":"roles","reason":{"message":"wrong value","expectedToInclude":"admin","actualValue":["user"]}}]}`
	if got != want {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
}

func TestDenialReportsEveryFailureInOrder(t *testing.T) {
	p := mustCompile(t, Options{},
		spec("email_verified", OpIsTrue),
		spec("tenant", OpHasValue, "acme"),
		Spec{ID: "admin", Claim: "roles", Op: OpIncludes, Values: []any{"admin"}},
		Spec{Op: OpPermission, Values: []any{"blog:write"}},
		Spec{ID: "fresh", Claim: "level", Op: OpExists, MaxAge: time.Minute, HasMaxAge: true},
	)
	id := identity(t, `{"email_verified":"true","tenant":"acme","roles":["viewer"],"level":1}`)
	id.IssuedAt = ago(90 * time.Second)
	got := evaluate(t, p, id)
	want := `{"message":"invalid claim","claimValidationErrors":[` +
		`{"id":"email_verified","reason":{"message":"wrong value","expectedValue":true,"actualValue":"true"}},` +
		`{"id":"admin","reason":{"message":"wrong value","expectedToInclude":"admin","actualValue":["viewer"]}},` +
		`{"id":"permission:blog:write","reason":{"message":"wrong value","expectedPermission":"blog:write","actualValue":["viewer"]}},` +
		`{"id":"fresh","reason":{"message":"expired","ageInSeconds":90,"maxAgeInSeconds":60}}]}`
	if got != want {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
}

func TestDenialIsAnError(t *testing.T) {
	d := &Denial{Failures: []Failure{
		{ID: "roles", Reason: Reason{Message: MessageWrongValue, Actual: "secret-value", HasActual: true}},
		{ID: "email", Reason: Reason{Message: MessageMissing}},
	}}
	err := fmt.Errorf("evaluating policy: %w", d)
	if !errors.Is(err, ErrDenied) {
		t.Errorf("errors.Is(%v, ErrDenied) = false", err)
	}
	var got *Denial
	if !errors.As(err, &got) || got != d {
		t.Errorf("errors.As did not find the *Denial")
	}
	const wantMsg = "validating claims: roles: wrong value; email: value does not exist"
	if d.Error() != wantMsg {
		t.Errorf("Error() = %q; want %q", d.Error(), wantMsg)
	}
	if strings.Contains(d.Error(), "secret-value") {
		t.Errorf("Error() leaks a claim value: %q", d.Error())
	}
}

func TestReasonJSON(t *testing.T) {
	tests := []struct {
		name string
		r    Reason
		want string
	}{
		{"a message alone", Reason{Message: MessageMissing}, `{"message":"value does not exist"}`},
		{"an actual null is written", Reason{Message: MessageWrongValue, HasActual: true},
			`{"message":"wrong value","actualValue":null}`},
		{"fields come in a fixed order", Reason{Message: MessageWrongValue, ExpectedField: FieldExpectedToBeOneOf,
			Expected: []any{"a"}, Actual: "b", HasActual: true},
			`{"message":"wrong value","expectedToBeOneOf":["a"],"actualValue":"b"}`},
		{"ages are seconds with millisecond precision", Reason{Message: MessageExpired,
			Age: 300*time.Second + 500*time.Millisecond + 999*time.Microsecond, HasAge: true,
			MaxAge: 1500 * time.Millisecond, HasMaxAge: true},
			`{"message":"expired","ageInSeconds":300.5,"maxAgeInSeconds":1.5}`},
		{"an unknown age is left out", Reason{Message: MessageExpired, MaxAge: 5 * time.Minute, HasMaxAge: true},
			`{"message":"expired","maxAgeInSeconds":300}`},
		{"strings are JSON-escaped", Reason{Message: MessageWrongValue, ExpectedField: FieldExpectedValue,
			Expected: "a\"b", Actual: "</script>\n", HasActual: true},
			`{"message":"wrong value","expectedValue":"a\"b","actualValue":"\u003c/script\u003e\n"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := json.Marshal(tc.r)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.want {
				t.Errorf("got  %s\nwant %s", out, tc.want)
			}
		})
	}
}

func TestReasonJSONRefusesValuesJSONCannotHold(t *testing.T) {
	r := Reason{Message: MessageWrongValue, Actual: make(chan int), HasActual: true}
	if _, err := json.Marshal(r); err == nil {
		t.Error("marshalling a channel succeeded")
	}
}

func TestAnEmptyDenialEncodesAnEmptyList(t *testing.T) {
	out, err := json.Marshal(&Denial{})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"message":"invalid claim","claimValidationErrors":[]}`; string(out) != want {
		t.Errorf("got %s; want %s", out, want)
	}
}
