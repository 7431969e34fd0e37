package policy

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
)

// now is the fixed clock of every test; ago and in give times around it.
var now = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func ago(d time.Duration) time.Time { return now.Add(-d) }

func clock() time.Time { return now }

// millis renders t as a SuperTokens "t" (unix milliseconds).
func millis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// testRoles is the RBAC table used unless a test brings its own.
var testRoles = map[string][]string{
	"admin":  {"*"},
	"editor": {"blog:read", "blog:write"},
	"owner":  {"blog:*"},
	"viewer": {"blog:read"},
}

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

func mustCompile(t *testing.T, opts Options, specs ...Spec) *Policy {
	t.Helper()
	if opts.Now == nil {
		opts.Now = clock
	}
	if opts.Roles == nil {
		opts.Roles = testRoles
	}
	p, err := Compile(specs, opts)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return p
}

// evaluate runs p on id and returns the 403 body, or "" when id passes.
func evaluate(t *testing.T, p *Policy, id *verifier.Identity) string {
	t.Helper()
	_, d, err := p.Evaluate(context.Background(), id)
	if err != nil {
		t.Fatalf("Evaluate: unexpected error %v", err)
	}
	return body(t, d)
}

// body is the JSON encoding of d, or "" for nil.
func body(t *testing.T, d *Denial) string {
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

// fakeRefresher serves claim values from a map and counts calls.
type fakeRefresher struct {
	sources map[string]fakeSource // path → source
	values  map[string]any        // claim → value returned
	fetched time.Time             // fetch time returned; zero: now
	err     error

	mu      sync.Mutex
	calls   map[string]int
	maxAges []time.Duration
}

type fakeSource struct {
	claim  string
	maxAge time.Duration
}

func (f *fakeRefresher) Source(path string) (string, time.Duration, bool) {
	s, ok := f.sources[path]
	return s.claim, s.maxAge, ok
}

func (f *fakeRefresher) Refresh(ctx context.Context, id *verifier.Identity, claim string, maxAge time.Duration) (any, time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[claim+"@"+id.Verifier+"/"+id.Subject]++
	f.maxAges = append(f.maxAges, maxAge)
	if f.err != nil {
		return nil, time.Time{}, f.err
	}
	if ctx.Err() != nil {
		return nil, time.Time{}, ctx.Err()
	}
	at := f.fetched
	if at.IsZero() {
		at = now
	}
	return f.values[claim], at, nil
}

// callsFor returns how often claim was refreshed for the test identity.
func (f *fakeRefresher) callsFor(claim string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[claim+"@corp_idp/user-1"]
}

func wantErrorIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want one matching %v", err, target)
	}
}
