package verifier_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
)

// countingVerifier answers with a fixed identity or error and counts calls.
type countingVerifier struct {
	calls atomic.Int32
	id    *verifier.Identity
	err   error
}

func (v *countingVerifier) Verify(context.Context, verifier.Credential) (*verifier.Identity, error) {
	v.calls.Add(1)
	return v.id, v.err
}

// denyAll is a deny list that denies (or fails) when told to.
type denyAll struct {
	deny atomic.Bool
	err  error
}

func (d *denyAll) Denied(context.Context, *verifier.Identity) (bool, error) {
	return d.deny.Load(), d.err
}

// clock is a settable test clock.
type clock struct{ now atomic.Pointer[time.Time] }

func newClock() *clock {
	c := &clock{}
	c.set(testNow)
	return c
}

func (c *clock) set(t time.Time)         { c.now.Store(&t) }
func (c *clock) advance(d time.Duration) { c.set(c.Now().Add(d)) }
func (c *clock) Now() time.Time          { return *c.now.Load() }

func newCache(t *testing.T) *verifier.IdentityCache {
	t.Helper()
	c, err := verifier.NewIdentityCache(1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// verifyTwice verifies token, waits for the cache to settle, optionally
// changes the world, then verifies again.
func verifyTwice(t *testing.T, c *verifier.Cached, cache *verifier.IdentityCache, between func()) error {
	t.Helper()
	if _, err := c.Verify(t.Context(), bearer("token")); err != nil {
		return err
	}
	cache.Wait()
	between()
	_, err := c.Verify(t.Context(), bearer("token"))
	return err
}

func TestCachedVerifier(t *testing.T) {
	validFor := func(d time.Duration) *verifier.Identity {
		return &verifier.Identity{Subject: "alice", ExpiresAt: testNow.Add(time.Hour), ValidUntil: testNow.Add(d)}
	}
	tests := []struct {
		name      string
		id        *verifier.Identity
		maxTTL    time.Duration
		between   func(clk *clock)
		wantCalls int32
	}{
		{name: "a hit does not call the next verifier", id: validFor(time.Minute), between: func(*clock) {}, wantCalls: 1},
		{name: "an entry is not used at its ValidUntil", id: validFor(time.Minute), between: func(c *clock) { c.advance(time.Minute) }, wantCalls: 2},
		{name: "an entry is used just before its ValidUntil", id: validFor(time.Minute), between: func(c *clock) { c.advance(59 * time.Second) }, wantCalls: 1},
		{name: "ExpiresAt bounds an identity without ValidUntil", id: &verifier.Identity{ExpiresAt: testNow.Add(time.Minute)}, between: func(c *clock) { c.advance(2 * time.Minute) }, wantCalls: 2},
		{name: "MaxTTL bounds a long-lived identity", id: validFor(time.Hour), maxTTL: 10 * time.Second, between: func(c *clock) { c.advance(11 * time.Second) }, wantCalls: 2},
		{name: "an entry is used within MaxTTL", id: validFor(time.Hour), maxTTL: 10 * time.Second, between: func(c *clock) { c.advance(9 * time.Second) }, wantCalls: 1},
		{name: "an identity with no expiry at all is not cached", id: &verifier.Identity{Subject: "alice"}, between: func(*clock) {}, wantCalls: 2},
		{name: "an identity already past ValidUntil is not cached", id: validFor(-time.Second), between: func(*clock) {}, wantCalls: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			next, clk := &countingVerifier{id: tc.id}, newClock()
			cache := newCache(t)
			c := verifier.NewCached(next, cache, verifier.CacheOptions{MaxTTL: tc.maxTTL, Now: clk.Now})
			if err := verifyTwice(t, c, cache, func() { tc.between(clk) }); err != nil {
				t.Fatal(err)
			}
			if got := next.calls.Load(); got != tc.wantCalls {
				t.Fatalf("next verifier called %d times, want %d", got, tc.wantCalls)
			}
		})
	}
}

func TestCachedKeepsGroupsApart(t *testing.T) {
	next := &countingVerifier{id: &verifier.Identity{ExpiresAt: time.Now().Add(time.Hour)}}
	cache := newCache(t)
	a := verifier.NewCached(next, cache, verifier.CacheOptions{Group: "route-a"})
	b := verifier.NewCached(next, cache, verifier.CacheOptions{Group: "route-b"})
	for _, c := range []*verifier.Cached{a, a, b} {
		if _, err := c.Verify(t.Context(), bearer("token")); err != nil {
			t.Fatal(err)
		}
		cache.Wait()
	}
	if got := next.calls.Load(); got != 2 {
		t.Fatalf("next verifier called %d times, want once per group", got)
	}
}

func TestCachedChecksTheDenyListOnEveryHit(t *testing.T) {
	next := &countingVerifier{id: &verifier.Identity{ExpiresAt: time.Now().Add(time.Hour)}}
	deny := &denyAll{}
	cache := newCache(t)
	c := verifier.NewCached(next, cache, verifier.CacheOptions{Deny: deny})
	err := verifyTwice(t, c, cache, func() { deny.deny.Store(true) })
	wantReason(t, err, verifier.ReasonTokenRevoked)
	if got := next.calls.Load(); got != 1 {
		t.Fatalf("the revocation must be seen on a cache hit; next called %d times", got)
	}
}

func TestCachedFailsClosedWhenTheDenyListFails(t *testing.T) {
	next := &countingVerifier{id: &verifier.Identity{ExpiresAt: time.Now().Add(time.Hour)}}
	c := verifier.NewCached(next, newCache(t), verifier.CacheOptions{Deny: &denyAll{err: errors.New("redis down")}})
	_, err := c.Verify(t.Context(), bearer("token"))
	wantReason(t, err, verifier.ReasonStoreUnavailable)
}

func TestCachedNeverCachesErrors(t *testing.T) {
	next := &countingVerifier{err: verifier.Reject(verifier.ReasonBadSignature, nil)}
	cache := newCache(t)
	c := verifier.NewCached(next, cache, verifier.CacheOptions{})
	for range 2 {
		_, err := c.Verify(t.Context(), bearer("token"))
		wantReason(t, err, verifier.ReasonBadSignature)
		cache.Wait()
	}
	if got := next.calls.Load(); got != 2 {
		t.Fatalf("next verifier called %d times, want every time", got)
	}
}

func TestCachedIsSafeForConcurrentUse(t *testing.T) {
	next := &countingVerifier{id: &verifier.Identity{ExpiresAt: time.Now().Add(time.Hour)}}
	c := verifier.NewCached(next, newCache(t), verifier.CacheOptions{Deny: &denyAll{}})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				if _, err := c.Verify(t.Context(), bearer(strconv.Itoa((g+i)%4))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
