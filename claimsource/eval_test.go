package claimsource

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/verifier"
)

// TestEvaluateWithAClaimSource runs Evaluate with a Refresher and a
// real local claim source: the SuperTokens flow of shouldRefetch, fetch,
// validate, with the refreshed value forwarded.
func TestEvaluateWithAClaimSource(t *testing.T) {
	var roles atomic.Value
	roles.Store(`["admin"]`)
	var down atomic.Bool
	cs := newClaimServer(t, func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		jsonBody(`{"roles":`+roles.Load().(string)+`}`)(w, r)
	})
	clk := newFakeClock()
	r, err := New(Config{Now: clk.Now, Claims: []Claim{{
		Name: "roles", Source: cs.source(t, "/users/{sub}", "roles"), MaxAge: 5 * time.Minute, Timeout: 5 * time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p := mustCompile(t, policy.Options{Refresher: r, Now: clk.Now}, spec("roles", policy.OpIncludes, "admin"))
	steps := []struct {
		name      string
		claims    string
		iat       time.Duration
		advance   time.Duration
		setRoles  string
		down      bool
		wantCalls int64
		wantRoles any    // forwarded roles on a pass
		wantBody  string // 403 body; "" for a pass
		wantErr   bool
	}{
		{name: "a fresh token claim is used as it is", claims: `{"roles":["admin"]}`, iat: time.Minute,
			wantCalls: 0, wantRoles: []any{"admin"}},
		{name: "a missing claim is fetched", claims: `{}`, iat: time.Minute,
			wantCalls: 1, wantRoles: []any{"admin"}},
		{name: "a stale token claim is replaced from the cache", claims: `{"roles":["user"]}`, iat: time.Hour,
			wantCalls: 1, wantRoles: []any{"admin"}},
		{name: "a demotion is seen once the cached value is stale", claims: `{"roles":["admin"]}`, iat: time.Hour,
			advance: 6 * time.Minute, setRoles: `["user"]`, wantCalls: 2,
			wantBody: denied("roles", `{"message":"wrong value","expectedToInclude":"admin","actualValue":["user"]}`)},
		{name: "a source that fails without a usable value fails closed", claims: `{"roles":["admin"]}`, iat: time.Hour,
			advance: 6 * time.Minute, down: true, wantCalls: 3, wantErr: true},
	}
	for _, st := range steps {
		clk.Advance(st.advance)
		if st.setRoles != "" {
			roles.Store(st.setRoles)
		}
		down.Store(st.down)
		id := identity(t, st.claims)
		id.IssuedAt = clk.Now().Add(-st.iat)
		out, d, err := p.Evaluate(context.Background(), id)
		switch {
		case st.wantErr:
			if !errors.Is(err, policy.ErrRefreshUnavailable) || out != nil || d != nil {
				t.Fatalf("%s: Evaluate = %v, %v, %v; want policy.ErrRefreshUnavailable", st.name, out, d, err)
			}
		case err != nil:
			t.Fatalf("%s: Evaluate error %v", st.name, err)
		case body(t, d) != st.wantBody:
			t.Fatalf("%s: body %s; want %s", st.name, body(t, d), st.wantBody)
		case d == nil && !reflect.DeepEqual(out.Claims["roles"], st.wantRoles):
			t.Fatalf("%s: forwarded roles %v; want %v", st.name, out.Claims["roles"], st.wantRoles)
		}
		if got := cs.calls.Load(); got != st.wantCalls {
			t.Fatalf("%s: %d source calls; want %d", st.name, got, st.wantCalls)
		}
	}
}

// cachedRefreshPolicy is one refreshable validator and a token whose claim
// is stale, with the refresher's cache primed: every Evaluate refreshes the
// claim from the cache.
func cachedRefreshPolicy(b *testing.B) (*policy.Policy, *verifier.Identity, *Refresher) {
	b.Helper()
	src := SourceFunc(func(context.Context, *verifier.Identity) (any, error) {
		return []any{"viewer", "editor"}, nil
	})
	r, err := New(Config{Claims: []Claim{
		{Name: "roles", Source: src, MaxAge: time.Hour}}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(r.Close)
	p, err := policy.Compile([]policy.Spec{{Claim: "roles", Op: policy.OpIncludes, Values: []any{"editor"}}}, policy.Options{Refresher: r})
	if err != nil {
		b.Fatal(err)
	}
	id := &verifier.Identity{Verifier: "corp_idp", Subject: "user-1", IssuedAt: time.Now().Add(-2 * time.Hour),
		Claims: map[string]any{"roles": []any{"viewer"}, "email": "a@example.com", "email_verified": true}}
	if _, d, err := p.Evaluate(context.Background(), id); d != nil || err != nil {
		b.Fatal(d, err)
	}
	r.Wait()
	return p, id, r
}

// BenchmarkEvaluateCachedRefresh is Evaluate on a stale claim answered by
// the refresher's cache, for the same identity each time (as the identity
// cache hands out): the refresh check, reusing the identity copy that
// carries the refreshed value.
func BenchmarkEvaluateCachedRefresh(b *testing.B) {
	p, id, _ := cachedRefreshPolicy(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, d, err := p.Evaluate(ctx, id); d != nil || err != nil {
			b.Fatal(d, err)
		}
	}
}

// BenchmarkEvaluateFreshNoRefresh is the same policy on a fresh claim: the
// baseline the cached refresh adds to.
func BenchmarkEvaluateFreshNoRefresh(b *testing.B) {
	p, id, _ := cachedRefreshPolicy(b)
	id = id.WithClaim("roles", []any{"viewer", "editor"})
	id.IssuedAt = time.Now()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, d, err := p.Evaluate(ctx, id); d != nil || err != nil {
			b.Fatal(d, err)
		}
	}
}

// BenchmarkClaimRefresherHit is Refresh alone answering from the cache.
func BenchmarkClaimRefresherHit(b *testing.B) {
	_, id, r := cachedRefreshPolicy(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := r.Refresh(ctx, id, "roles", time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClaimRefresherHitParallel is Refresh from the cache on every
// core at once, to show the close guard does not serialise hits.
func BenchmarkClaimRefresherHitParallel(b *testing.B) {
	_, id, r := cachedRefreshPolicy(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := r.Refresh(ctx, id, "roles", time.Hour); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
