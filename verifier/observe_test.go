package verifier_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/verifiertest"
)

// event is one report to an Observer, durations left out.
type event struct {
	kind     string
	verifier string
	reason   verifier.Reason
	cache    verifier.CacheResult
	refresh  verifier.RefreshResult
	keys     int
	call     verifier.CallResult
}

// recorder is an Observer that records every report.
type recorder struct {
	mu     sync.Mutex
	events []event
}

func (r *recorder) add(e event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) Verified(name string, reason verifier.Reason, cache verifier.CacheResult, elapsed time.Duration) {
	if elapsed < 0 {
		panic("negative latency")
	}
	r.add(event{kind: "verified", verifier: name, reason: reason, cache: cache})
}

func (r *recorder) IdentityCacheEvicted() { r.add(event{kind: "evicted"}) }

func (r *recorder) KeysRefreshed(result verifier.RefreshResult, keys int) {
	r.add(event{kind: "keys", refresh: result, keys: keys})
}

func (r *recorder) Introspected(name string, result verifier.CallResult, elapsed time.Duration) {
	if elapsed < 0 {
		panic("negative latency")
	}
	r.add(event{kind: "introspected", verifier: name, call: result})
}

// take returns the events recorded so far, evictions left out unless
// asked for, and forgets them.
func (r *recorder) take(evictions bool) []event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []event
	for _, e := range r.events {
		if e.kind != "evicted" || evictions {
			out = append(out, e)
		}
	}
	r.events = nil
	return out
}

func wantEvents(t *testing.T, got []event, want ...event) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events:\n got %+v\nwant %+v", got, want)
	}
}

func TestCachedReportsEachVerification(t *testing.T) {
	rec := &recorder{}
	cache, err := verifier.NewIdentityCache(1<<20, rec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cache.Close)
	next := &countingVerifier{id: &verifier.Identity{Verifier: "corp", Subject: "alice", ExpiresAt: time.Now().Add(time.Hour)}}
	deny := &denyAll{}
	c := verifier.NewCached(next, cache, verifier.CacheOptions{Group: "g", Deny: deny})

	if err := verifyTwice(t, c, cache, func() {}); err != nil {
		t.Fatal(err)
	}
	deny.deny.Store(true)
	_, err = c.Verify(t.Context(), bearer("token"))
	wantReason(t, err, verifier.ReasonTokenRevoked)
	next.id, next.err = nil, verifier.Reject(verifier.ReasonBadSignature, errors.New("no"))
	_, err = c.Verify(t.Context(), bearer("other"))
	wantReason(t, err, verifier.ReasonBadSignature)
	next.err = errors.New("a bug")
	_, _ = c.Verify(t.Context(), bearer("third"))

	wantEvents(t, rec.take(false),
		event{kind: "verified", verifier: "corp", reason: verifier.ReasonOK, cache: verifier.CacheMiss},
		event{kind: "verified", verifier: "corp", reason: verifier.ReasonOK, cache: verifier.CacheHit},
		event{kind: "verified", verifier: "corp", reason: verifier.ReasonTokenRevoked, cache: verifier.CacheHit},
		event{kind: "verified", reason: verifier.ReasonBadSignature, cache: verifier.CacheMiss},
		event{kind: "verified", reason: verifier.ReasonInternal, cache: verifier.CacheMiss},
	)
}

func TestIdentityCacheReportsEvictions(t *testing.T) {
	rec := &recorder{}
	cache, err := verifier.NewIdentityCache(4096, rec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cache.Close)
	next := &countingVerifier{id: &verifier.Identity{Verifier: "corp", Subject: "alice", ExpiresAt: time.Now().Add(time.Hour)}}
	c := verifier.NewCached(next, cache, verifier.CacheOptions{})
	for i := range 100 {
		if _, err := c.Verify(t.Context(), bearer(fmt.Sprint("token-", i))); err != nil {
			t.Fatal(err)
		}
		cache.Wait()
	}
	evicted := 0
	for _, e := range rec.take(true) {
		if e.kind == "evicted" {
			evicted++
		}
	}
	if evicted == 0 {
		t.Fatal("no eviction reported after 100 identities in room for a few")
	}
}

// counter is an Observer that allocates nothing.
type counter struct{ n atomic.Int64 }

func (c *counter) Verified(string, verifier.Reason, verifier.CacheResult, time.Duration) { c.n.Add(1) }
func (c *counter) IdentityCacheEvicted()                                                 { c.n.Add(1) }
func (c *counter) KeysRefreshed(verifier.RefreshResult, int)                             { c.n.Add(1) }
func (c *counter) Introspected(string, verifier.CallResult, time.Duration)               { c.n.Add(1) }

// hitAllocs counts the allocations of one cache hit with obs.
func hitAllocs(t *testing.T, obs verifier.Observer) float64 {
	t.Helper()
	cache, err := verifier.NewIdentityCache(1<<20, obs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cache.Close)
	next := &countingVerifier{id: &verifier.Identity{Verifier: "corp", Subject: "alice", ExpiresAt: time.Now().Add(time.Hour)}}
	c := verifier.NewCached(next, cache, verifier.CacheOptions{Group: "g"})
	cred := bearer("token")
	if _, err := c.Verify(t.Context(), cred); err != nil {
		t.Fatal(err)
	}
	cache.Wait()
	ctx := t.Context()
	allocs := testing.AllocsPerRun(100, func() { _, _ = c.Verify(ctx, cred) })
	if next.calls.Load() != 1 {
		t.Fatalf("Next called %d times; want once (every later call a hit)", next.calls.Load())
	}
	return allocs
}

func TestObserverAddsNoAllocationOnACacheHit(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	none, counted := hitAllocs(t, nil), hitAllocs(t, &counter{})
	// The one allocation is the cache key (see cacheKey), as before
	// observers existed (measured at 54a23ad).
	if none != 1 || counted != 1 {
		t.Fatalf("a cache hit allocates %v times without an observer and %v with one; want 1 and 1", none, counted)
	}
}

// keyCount is how many keys srv serves.
func keyCount(t *testing.T, srv *verifiertest.Server) int {
	t.Helper()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct{ Keys []json.RawMessage }
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	return len(set.Keys)
}

// awaitEvents waits until rec holds n events and returns them.
func awaitEvents(t *testing.T, rec *recorder, n int) []event {
	t.Helper()
	var got []event
	eventually(t, 5*time.Second, func() bool { got = append(got, rec.take(false)...); return len(got) >= n })
	return got
}

func TestRemoteKeySourceReportsEachFetch(t *testing.T) {
	srv := verifiertest.NewServer()
	t.Cleanup(srv.Close)
	n := keyCount(t, srv)
	rec := &recorder{}
	keys := newRemote(t, verifier.RemoteKeyOptions{URL: srv.URL, Observer: rec})
	wantEvents(t, awaitEvents(t, rec, 1), event{kind: "keys", refresh: verifier.RefreshOK, keys: n})

	// A token naming an unknown kid makes the source fetch again.
	unknown := &jwt.Token{Header: map[string]any{"kid": "unknown"}, Method: jwt.SigningMethodES256}
	_, _ = keys.KeyfuncCtx(t.Context())(unknown)
	wantEvents(t, awaitEvents(t, rec, 1), event{kind: "keys", refresh: verifier.RefreshOK, keys: n})
	srv.Down(true)
	_, _ = keys.KeyfuncCtx(t.Context())(unknown)
	wantEvents(t, awaitEvents(t, rec, 1), event{kind: "keys", refresh: verifier.RefreshFailed})
}

func TestRemoteKeySourceReportsAFailedFirstFetch(t *testing.T) {
	srv := verifiertest.NewServer()
	t.Cleanup(srv.Close)
	srv.Down(true)
	rec := &recorder{}
	newRemote(t, verifier.RemoteKeyOptions{URL: srv.URL, Observer: rec})
	wantEvents(t, awaitEvents(t, rec, 1), event{kind: "keys", refresh: verifier.RefreshFailed})
}

func TestIntrospectVerifierReportsVerificationsAndCalls(t *testing.T) {
	c := newClock()
	svc := newSessionService(t, answer(200, stytchSession("alice", c.Now().Add(time.Hour))))
	rec := &recorder{}
	cfg := stytchConfig(svc.URL, c)
	cfg.Observer = rec
	v := newIntrospect(t, cfg)
	for range 2 {
		if _, err := v.Verify(t.Context(), bearer("token-1")); err != nil {
			t.Fatal(err)
		}
	}
	svc.setReply(answer(401, nil))
	_, err := v.Verify(t.Context(), bearer("token-2"))
	wantReason(t, err, verifier.ReasonInactive)
	svc.setReply(answer(500, nil))
	_, err = v.Verify(t.Context(), bearer("token-3"))
	wantReason(t, err, verifier.ReasonIntrospectionUnavailable)
	_, err = v.Verify(t.Context(), bearer(""))
	wantReason(t, err, verifier.ReasonMalformed)

	wantEvents(t, rec.take(false),
		event{kind: "introspected", verifier: "sessions", call: verifier.CallActive},
		event{kind: "verified", verifier: "sessions", reason: verifier.ReasonOK, cache: verifier.CacheMiss},
		event{kind: "verified", verifier: "sessions", reason: verifier.ReasonOK, cache: verifier.CacheHit},
		event{kind: "introspected", verifier: "sessions", call: verifier.CallInactive},
		event{kind: "verified", reason: verifier.ReasonInactive, cache: verifier.CacheMiss},
		event{kind: "introspected", verifier: "sessions", call: verifier.CallFailed},
		event{kind: "verified", reason: verifier.ReasonIntrospectionUnavailable, cache: verifier.CacheMiss},
		event{kind: "verified", reason: verifier.ReasonMalformed, cache: verifier.CacheMiss},
	)
}
