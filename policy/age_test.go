package policy

import (
	"testing"
	"time"
)

func TestClaimAges(t *testing.T) {
	const fiveMin = 5 * time.Minute
	shaped := func(at time.Time) string { return `{"level":{"v":1,"t":` + millis(at) + `}}` }
	tests := []struct {
		name    string
		claims  string
		iat     time.Time
		trusted bool
		maxAge  time.Duration
		want    string // reason JSON, "" for a pass
	}{
		{"a plain value as old as the token passes within max age", `{"level":1}`, ago(time.Minute), false, fiveMin, ""},
		{"a plain value older than max age is expired", `{"level":1}`, ago(10 * time.Minute), false, fiveMin,
			`{"message":"expired","ageInSeconds":600,"maxAgeInSeconds":300}`},
		{"a value exactly max age old passes", `{"level":1}`, ago(fiveMin), false, fiveMin, ""},
		{"ages keep milliseconds", `{"level":1}`, ago(fiveMin + 500*time.Millisecond), false, fiveMin,
			`{"message":"expired","ageInSeconds":300.5,"maxAgeInSeconds":300}`},
		{"a plain value of unknown age is expired without an age", `{"level":1}`, time.Time{}, false, fiveMin,
			`{"message":"expired","maxAgeInSeconds":300}`},
		{"a token t fresher than iat is aged from iat", shaped(ago(time.Minute)), ago(10 * time.Minute), false, fiveMin,
			`{"message":"expired","ageInSeconds":600,"maxAgeInSeconds":300}`},
		{"a token t older than iat is aged from t", shaped(ago(10 * time.Minute)), ago(time.Minute), false, fiveMin,
			`{"message":"expired","ageInSeconds":600,"maxAgeInSeconds":300}`},
		{"a fresh token t with a fresh iat passes", shaped(ago(2 * time.Minute)), ago(time.Minute), false, fiveMin, ""},
		{"a future token t counts as iat", shaped(now.Add(time.Hour)), ago(10 * time.Minute), false, fiveMin,
			`{"message":"expired","ageInSeconds":600,"maxAgeInSeconds":300}`},
		{"a future token t with a fresh iat passes", shaped(now.Add(time.Hour)), ago(time.Minute), false, fiveMin, ""},
		{"a future token t without iat has an unknown age", shaped(now.Add(time.Hour)), time.Time{}, false, fiveMin,
			`{"message":"expired","maxAgeInSeconds":300}`},
		{"a token t without iat is aged from t", shaped(ago(time.Minute)), time.Time{}, false, fiveMin, ""},
		{"a trusted t is believed over an old iat", shaped(ago(time.Minute)), ago(10 * time.Minute), true, fiveMin, ""},
		{"a trusted old t is expired", shaped(ago(10 * time.Minute)), ago(time.Minute), true, fiveMin,
			`{"message":"expired","ageInSeconds":600,"maxAgeInSeconds":300}`},
		{"a trusted future t is fresh", shaped(now.Add(time.Hour)), time.Time{}, true, fiveMin, ""},
		{"a t of zero is very old", `{"level":{"v":1,"t":0}}`, ago(time.Minute), true, fiveMin,
			`{"message":"expired","ageInSeconds":1772600767,"maxAgeInSeconds":300}`},
		{"max age 0 without a source always expires", `{"level":1}`, now, false, 0,
			`{"message":"expired","ageInSeconds":0,"maxAgeInSeconds":0}`},
		{"a missing value does not exist before it can expire", `{}`, ago(time.Hour), false, fiveMin,
			`{"message":"value does not exist","expectedValue":1}`},
		{"an old value is expired before its value is checked", `{"level":2}`, ago(time.Hour), false, fiveMin,
			`{"message":"expired","ageInSeconds":3600,"maxAgeInSeconds":300}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustCompile(t, Options{},
				Spec{Claim: "level", Op: OpHasValue, Values: []any{1.0}, MaxAge: tc.maxAge, HasMaxAge: true})
			id := identity(t, tc.claims)
			id.IssuedAt, id.ClaimTimesTrusted = tc.iat, tc.trusted
			want := ""
			if tc.want != "" {
				want = denied("level", tc.want)
			}
			if got := evaluate(t, p, id); got != want {
				t.Errorf("body\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestValidatorsWithoutMaxAgeIgnoreAge(t *testing.T) {
	p := mustCompile(t, Options{}, spec("level", OpHasValue, 1.0))
	id := identity(t, `{"level":1}`)
	id.IssuedAt = time.Time{}
	if got := evaluate(t, p, id); got != "" {
		t.Errorf("got %s; want a pass", got)
	}
}
