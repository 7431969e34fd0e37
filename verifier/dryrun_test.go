package verifier_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
)

func TestDryRunOfAPlainContextIsFalse(t *testing.T) {
	if dry, fetch := verifier.DryRunOf(context.Background()); dry || fetch {
		t.Fatalf("DryRunOf(background) = %v, %v", dry, fetch)
	}
	if dry, fetch := verifier.DryRunOf(verifier.WithDryRun(context.Background(), true)); !dry || !fetch {
		t.Fatalf("DryRunOf(with fetch) = %v, %v", dry, fetch)
	}
}

func TestCachedStoresNothingInADryRun(t *testing.T) {
	next := &countingVerifier{id: &verifier.Identity{Subject: "alice", ExpiresAt: time.Now().Add(time.Hour)}}
	cache := newCache(t)
	c := verifier.NewCached(next, cache, verifier.CacheOptions{})
	dry := verifier.WithDryRun(context.Background(), false)
	if _, err := c.Verify(dry, bearer("token")); err != nil {
		t.Fatal(err)
	}
	cache.Wait()
	if _, err := c.Verify(context.Background(), bearer("token")); err != nil {
		t.Fatal(err)
	}
	if got := next.calls.Load(); got != 2 {
		t.Fatalf("next verifier called %d times: a dry run must not fill the cache", got)
	}
	// A real request's entry serves a dry run.
	cache.Wait()
	if _, err := c.Verify(dry, bearer("token")); err != nil || next.calls.Load() != 2 {
		t.Fatalf("dry run after a cached request: err %v, %d calls", err, next.calls.Load())
	}
}

func TestIntrospectionInADryRunCallsOnlyWithFetch(t *testing.T) {
	c := newClock()
	svc := newSessionService(t, answer(200, stytchSession("u", c.Now().Add(time.Hour))))
	v := newIntrospect(t, stytchConfig(svc.URL, c))

	_, err := v.Verify(verifier.WithDryRun(context.Background(), false), cookieCred("session_token", "tok"))
	if !errors.Is(err, verifier.ErrWouldCall) || svc.calls.Load() != 0 {
		t.Fatalf("dry run without fetch: err %v, %d calls; want ErrWouldCall and none", err, svc.calls.Load())
	}
	id, err := v.Verify(verifier.WithDryRun(context.Background(), true), cookieCred("session_token", "tok"))
	if err != nil || id.Subject != "u" || svc.calls.Load() != 1 {
		t.Fatalf("dry run with fetch: %v %v, %d calls", id, err, svc.calls.Load())
	}
	// The fetched answer was not cached: a request calls again...
	if _, err := v.Verify(context.Background(), cookieCred("session_token", "tok")); err != nil || svc.calls.Load() != 2 {
		t.Fatalf("request after a dry run: %v, %d calls, want 2", err, svc.calls.Load())
	}
	// ...and its cached answer serves a dry run without fetch.
	if _, err := v.Verify(verifier.WithDryRun(context.Background(), false), cookieCred("session_token", "tok")); err != nil || svc.calls.Load() != 2 {
		t.Fatalf("dry run on a cached answer: %v, %d calls", err, svc.calls.Load())
	}
}
