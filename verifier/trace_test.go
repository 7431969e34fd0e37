package verifier_test

import (
	"errors"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
)

// TestTraceNotesTheCacheOfTheVerifierThatVouched: a Cached verifier
// notes a miss, then a hit, in the request's Trace; a refusal notes
// nothing; a context without a Trace is fine.
func TestTraceNotesTheCacheOfTheVerifierThatVouched(t *testing.T) {
	next, clk := &countingVerifier{id: &verifier.Identity{Subject: "alice", ExpiresAt: testNow.Add(time.Hour)}}, newClock()
	cache := newCache(t)
	c := verifier.NewCached(next, cache, verifier.CacheOptions{Now: clk.Now})
	for _, want := range []verifier.CacheResult{verifier.CacheMiss, verifier.CacheHit} {
		var tr verifier.Trace
		if _, err := c.Verify(verifier.WithTrace(t.Context(), &tr), bearer("token")); err != nil {
			t.Fatal(err)
		}
		cache.Wait()
		if tr.Cache != want {
			t.Fatalf("trace cache %q, want %q", tr.Cache, want)
		}
	}
	if _, err := c.Verify(t.Context(), bearer("token")); err != nil {
		t.Fatal(err)
	}
	refusing := verifier.NewCached(&countingVerifier{err: errors.New("no")}, cache, verifier.CacheOptions{Group: "other"})
	var tr verifier.Trace
	if _, err := refusing.Verify(verifier.WithTrace(t.Context(), &tr), bearer("token")); err == nil || tr.Cache != "" {
		t.Fatalf("refusal: err %v, trace %+v: want an error and nothing noted", err, tr)
	}
}
