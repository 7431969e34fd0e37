package claimsource

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/verifier"
)

// The helpers below are policy's own test helpers, for the tests that run
// Evaluate over a Refresher.

// now is the fixed clock of every test; ago gives times before it.
var now = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func ago(d time.Duration) time.Time { return now.Add(-d) }

func clock() time.Time { return now }

// millis renders t as a SuperTokens "t" (unix milliseconds).
func millis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// claimsJSON decodes a claims document the way a verifier does.
func claimsJSON(t *testing.T, doc string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatalf("decoding claims %s: %v", doc, err)
	}
	return m
}

// identity returns a token identity issued a minute ago with the claims.
func identity(t *testing.T, doc string) *verifier.Identity {
	t.Helper()
	return &verifier.Identity{Verifier: "corp_idp", Subject: "user-1", IssuedAt: ago(time.Minute),
		Claims: claimsJSON(t, doc)}
}

func mustCompile(t *testing.T, opts policy.Options, specs ...policy.Spec) *policy.Policy {
	t.Helper()
	if opts.Now == nil {
		opts.Now = clock
	}
	p, err := policy.Compile(specs, opts)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return p
}

func spec(claim string, op policy.Op, values ...any) policy.Spec {
	return policy.Spec{Claim: claim, Op: op, Values: values}
}

// body is the JSON encoding of d, or "" for nil.
func body(t *testing.T, d *policy.Denial) string {
	t.Helper()
	if d == nil {
		return ""
	}
	out, err := json.Marshal(d)
	if err != nil {
		t.Fatalf("encoding denial: %v", err)
	}
	return string(out)
}

// denied wraps one failure's reason in the 403 body for golden comparisons.
func denied(id, reason string) string {
	return `{"message":"invalid claim","claimValidationErrors":[{"id":"` + id + `","reason":` + reason + `}]}`
}
