package claimsource

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/verifier"
)

func TestClaimRefresherCachesForMaxAge(t *testing.T) {
	tests := []struct {
		name      string
		claimAge  time.Duration // the claim's max_age
		maxAge    time.Duration // what the validator asks for
		later     time.Duration // when the second refresh comes
		wantCalls int64
	}{
		{"a second refresh within max age is a cache hit", 5 * time.Minute, 5 * time.Minute, 4 * time.Minute, 1},
		{"a value exactly max age old is still fresh", 5 * time.Minute, 5 * time.Minute, 5 * time.Minute, 1},
		{"a value older than max age is fetched again", 5 * time.Minute, 5 * time.Minute, 5*time.Minute + time.Second, 2},
		{"a stricter validator max age refetches sooner", 5 * time.Minute, time.Minute, 2 * time.Minute, 2},
		{"a validator accepting older values uses the cache longer", time.Minute, 10 * time.Minute, 5 * time.Minute, 1},
		{"no max age means the claim's own", 5 * time.Minute, policy.NoMaxAge, 4 * time.Minute, 1},
		{"max age 0 fetches on every refresh", 5 * time.Minute, 0, 0, 2},
		{"a claim max age 0 fetches on every refresh", 0, policy.NoMaxAge, 0, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk, counters := newFakeClock(), &testCounters{}
			src := &scriptedSource{value: constant([]any{"admin"})}
			r := refresherFor(t, clk, counters, Claim{Source: src, MaxAge: tc.claimAge})
			mustRefresh(t, r, user("idp", "alice"), tc.maxAge)
			clk.Advance(tc.later)
			if got := mustRefresh(t, r, user("idp", "alice"), tc.maxAge); !reflect.DeepEqual(got, []any{"admin"}) {
				t.Fatalf("value = %v", got)
			}
			if got := src.calls.Load(); got != tc.wantCalls {
				t.Errorf("source called %d times; want %d", got, tc.wantCalls)
			}
			if hits := counters.hits.Get(); hits != 2-tc.wantCalls || counters.fetches.Get() != tc.wantCalls {
				t.Errorf("counted %d hits and %d fetches; want %d and %d",
					hits, counters.fetches.Get(), 2-tc.wantCalls, tc.wantCalls)
			}
		})
	}
}

func TestClaimRefresherKeysByVerifierSubjectAndClaim(t *testing.T) {
	clk := newFakeClock()
	src := &scriptedSource{value: whoami}
	r := refresherFor(t, clk, nil, Claim{Source: src, MaxAge: time.Hour})
	ids := []*verifier.Identity{user("corp", "alice"), user("partner", "alice"), user("corp", "bob"),
		user("corp\x00x", "alice"), user("corp", "alice\x00x")}
	for round := range 2 {
		for _, id := range ids {
			if got, want := mustRefresh(t, r, id, time.Hour), id.Verifier+"/"+id.Subject; got != want {
				t.Fatalf("round %d: %s/%s got %v; want %v", round, id.Verifier, id.Subject, got, want)
			}
		}
	}
	if got := src.calls.Load(); got != int64(len(ids)) {
		t.Errorf("source called %d times; want %d (one per identity, then all hits)", got, len(ids))
	}
}

func TestClaimRefresherCoalescesConcurrentMisses(t *testing.T) {
	clk, counters := newFakeClock(), &testCounters{}
	src := &scriptedSource{value: constant([]any{"admin"}), delay: 20 * time.Millisecond}
	r := refresherFor(t, clk, counters, Claim{Source: src, MaxAge: time.Minute})
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, _, err := r.Refresh(context.Background(), user("idp", "alice"), "roles", time.Minute); err != nil {
				t.Errorf("Refresh: %v", err)
			}
		})
	}
	wg.Wait()
	if got := src.calls.Load(); got != 1 {
		t.Errorf("50 concurrent refreshes made %d source calls; want 1", got)
	}
}

func TestClaimRefresherStaleIfError(t *testing.T) {
	down := errors.New("connection refused")
	tests := []struct {
		name      string
		grace     time.Duration
		later     time.Duration // after the good fetch, the source being down
		wantValue bool
	}{
		{"within the grace the cached value is served", time.Minute, 5*time.Minute + 30*time.Second, true},
		{"at the end of the grace the cached value is still served", time.Minute, 6 * time.Minute, true},
		{"after the grace the request fails", time.Minute, 6*time.Minute + time.Second, false},
		{"without a grace a stale value is never served", 0, 5*time.Minute + time.Second, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk, counters := newFakeClock(), &testCounters{}
			src := &scriptedSource{value: constant([]any{"admin"})}
			r := refresherFor(t, clk, counters, Claim{Source: src, MaxAge: 5 * time.Minute, StaleIfError: tc.grace})
			mustRefresh(t, r, user("idp", "alice"), policy.NoMaxAge)
			src.set(nil, down)
			clk.Advance(tc.later)
			v, fetched, err := r.Refresh(context.Background(), user("idp", "alice"), "roles", policy.NoMaxAge)
			if !tc.wantValue {
				if !errors.Is(err, down) || v != nil {
					t.Fatalf("Refresh = %v, %v; want the source's error", v, err)
				}
				if counters.errors.Get() != 1 || counters.stale.Get() != 0 {
					t.Errorf("errors %d, stale serves %d; want 1 and 0", counters.errors.Get(), counters.stale.Get())
				}
				return
			}
			if err != nil || !reflect.DeepEqual(v, []any{"admin"}) || !fetched.Equal(now) {
				t.Fatalf("Refresh = %v, %v, %v; want the cached value fetched at %v", v, fetched, err, now)
			}
			if counters.stale.Get() != 1 {
				t.Errorf("stale serves = %d; want 1", counters.stale.Get())
			}
		})
	}
}

func TestClaimRefresherFallsBackOnTheTokensOwnValue(t *testing.T) {
	tests := []struct {
		name      string
		claim     string // the token's claim, as JSON
		iat       time.Duration
		wantValue any // nil: the request fails
	}{
		{"a token value within max age plus grace is used",
			`{"roles":["user"]}`, 5*time.Minute + 30*time.Second, []any{"user"}},
		{"a token value past the grace is not",
			`{"roles":["user"]}`, 7 * time.Minute, nil},
		{"a SuperTokens value is unwrapped and aged from the earlier of t and iat",
			`{"roles":{"v":["user"],"t":` + millis(ago(5*time.Minute+10*time.Second)) + `}}`, 5*time.Minute + 20*time.Second, []any{"user"}},
		{"a fresh t does not rescue an old token",
			`{"roles":{"v":["user"],"t":` + millis(now) + `}}`, time.Hour, nil},
		{"a token without the claim has nothing to fall back on",
			`{}`, time.Second, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := &scriptedSource{err: errors.New("down")}
			r := refresherFor(t, newFakeClock(), nil, Claim{Source: src, MaxAge: 5 * time.Minute, StaleIfError: time.Minute})
			id := identity(t, tc.claim)
			id.IssuedAt = ago(tc.iat)
			v, _, err := r.Refresh(context.Background(), id, "roles", policy.NoMaxAge)
			if tc.wantValue == nil {
				if err == nil {
					t.Fatalf("Refresh = %v; want an error", v)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(v, tc.wantValue) {
				t.Fatalf("Refresh = %v, %v; want %v", v, err, tc.wantValue)
			}
		})
	}
}

func TestClaimRefresherTimesOutASlowSource(t *testing.T) {
	src := &scriptedSource{value: constant(true), delay: time.Minute}
	r := refresherFor(t, newFakeClock(), nil, Claim{Source: src, MaxAge: time.Minute, Timeout: 50 * time.Millisecond})
	start := time.Now()
	_, _, err := r.Refresh(context.Background(), user("idp", "alice"), "roles", policy.NoMaxAge)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Refresh error = %v; want a deadline", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Refresh took %v with a 50ms timeout", took)
	}
}

func TestClaimRefresherBoundsFetchesInFlight(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	src := SourceFunc(func(ctx context.Context, id *verifier.Identity) (any, error) {
		started <- struct{}{}
		select {
		case <-release:
			return true, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	r, err := New(Config{MaxInFlight: 1, Now: newFakeClock().Now,
		Claims: []Claim{{Name: "roles", Source: src, MaxAge: time.Minute, Timeout: 5 * time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	done := make(chan error, 1)
	go func() {
		_, _, err := r.Refresh(context.Background(), user("idp", "alice"), "roles", policy.NoMaxAge)
		done <- err
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, _, err := r.Refresh(ctx, user("idp", "bob"), "roles", policy.NoMaxAge); err == nil {
		t.Fatal("a second subject got a fetch slot while the only one was taken")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("the first refresh failed: %v", err)
	}
}

func TestClaimRefresherCallerCancelDoesNotCancelTheSharedFetch(t *testing.T) {
	clk := newFakeClock()
	src := &scriptedSource{value: constant(true), delay: 50 * time.Millisecond}
	r := refresherFor(t, clk, nil, Claim{Source: src, MaxAge: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if _, _, err := r.Refresh(ctx, user("idp", "alice"), "roles", policy.NoMaxAge); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Refresh with a short context = %v; want its deadline", err)
	}
	// The fetch goes on and fills the cache for the next request.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if _, ok := r.lookup(claimKey{verifier: "idp", claim: "roles", subject: "alice"}); ok {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mustRefresh(t, r, user("idp", "alice"), policy.NoMaxAge)
	if got := src.calls.Load(); got != 1 {
		t.Errorf("source called %d times; want 1", got)
	}
}

func TestClaimRefresherWritesBackIntoSessions(t *testing.T) {
	w := &recordingWriter{err: errors.New("store down")}
	counters := &testCounters{}
	src := &scriptedSource{value: constant([]any{"admin"})}
	r, err := New(Config{Writer: w, Observer: counters.hooks(), Now: newFakeClock().Now,
		Claims: []Claim{{Name: "roles", Source: src, MaxAge: 0}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	withSession := user("sessions", "alice")
	withSession.SessionID = "s1"
	mustRefresh(t, r, withSession, policy.NoMaxAge) // a failing write does not fail the refresh
	mustRefresh(t, r, user("idp", "alice"), policy.NoMaxAge)
	if !reflect.DeepEqual(w.writes, []string{"s1:roles"}) || !reflect.DeepEqual(w.values, []any{[]any{"admin"}}) {
		t.Errorf("writes = %v %v; want one for session s1", w.writes, w.values)
	}
	if counters.writeErrors.Get() != 1 {
		t.Errorf("write errors = %d; want 1", counters.writeErrors.Get())
	}
}

func TestClaimRefresherSourceMapsPathsToClaims(t *testing.T) {
	src := &scriptedSource{value: constant(nil)}
	r, err := New(Config{Claims: []Claim{
		{Name: "realm", Source: src, MaxAge: time.Minute},
		{Name: "realm.access", Source: src, MaxAge: 0},
		{Name: "https://example.com/roles", Source: src, MaxAge: time.Hour},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tests := []struct {
		path      string
		wantClaim string
		wantAge   time.Duration
		wantOK    bool
	}{
		{"realm", "realm", time.Minute, true},
		{"realm.tier", "realm", time.Minute, true},
		{"realm.access.roles", "realm.access", 0, true},
		{"https://example.com/roles", "https://example.com/roles", time.Hour, true},
		{"realmx", "", 0, false},
		{"roles", "", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			claim, age, ok := r.Source(tc.path)
			if claim != tc.wantClaim || age != tc.wantAge || ok != tc.wantOK {
				t.Errorf("Source(%q) = %q, %v, %v; want %q, %v, %v", tc.path, claim, age, ok, tc.wantClaim, tc.wantAge, tc.wantOK)
			}
		})
	}
}

func TestNewClaimRefresherRefusesBadConfigs(t *testing.T) {
	src := &scriptedSource{}
	tests := []struct {
		name   string
		claims []Claim
	}{
		{"an empty name", []Claim{{Source: src}}},
		{"a name with NUL", []Claim{{Name: "a\x00b", Source: src}}},
		{"a duplicate name", []Claim{{Name: "a", Source: src}, {Name: "a", Source: src}}},
		{"no source", []Claim{{Name: "a"}}},
		{"a negative max age", []Claim{{Name: "a", Source: src, MaxAge: -time.Second}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if r, err := New(Config{Claims: tc.claims}); err == nil {
				r.Close()
				t.Fatal("New accepted the config")
			}
		})
	}
}

func TestClaimRefresherSurvivesPanicsAndClose(t *testing.T) {
	src := SourceFunc(func(context.Context, *verifier.Identity) (any, error) { panic("boom") })
	r := refresherFor(t, newFakeClock(), nil, Claim{Source: src, MaxAge: time.Minute})
	if _, _, err := r.Refresh(context.Background(), user("idp", "alice"), "roles", policy.NoMaxAge); err == nil {
		t.Fatal("a panicking source gave no error")
	}
	ok := &scriptedSource{value: constant(true)}
	r2 := refresherFor(t, newFakeClock(), nil, Claim{Source: ok, MaxAge: time.Minute})
	r2.Close()
	for range 2 {
		mustRefresh(t, r2, user("idp", "alice"), policy.NoMaxAge)
	}
	if ok.calls.Load() != 2 {
		t.Errorf("after Close: %d calls; want 2 (uncached)", ok.calls.Load())
	}
	if _, _, err := r2.Refresh(context.Background(), user("idp", "alice"), "unknown", policy.NoMaxAge); err == nil {
		t.Error("refreshing an unknown claim succeeded")
	}
}
