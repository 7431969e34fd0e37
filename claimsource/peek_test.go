package claimsource

import (
	"context"
	"testing"
	"time"

	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/verifier"
)

func TestPeekAnswersWhatRefreshWouldServeFromTheCache(t *testing.T) {
	clk := newFakeClock()
	src := &scriptedSource{value: constant([]any{"admin"})}
	r := refresherFor(t, clk, nil, Claim{Source: src, MaxAge: time.Minute})
	alice := user("idp", "alice")
	if _, _, ok := r.Peek(alice, "roles", policy.NoMaxAge); ok {
		t.Fatal("Peek found a value before any fetch")
	}
	mustRefresh(t, r, alice, policy.NoMaxAge)
	clk.Advance(20 * time.Second)
	v, fetched, ok := r.Peek(alice, "roles", policy.NoMaxAge)
	if !ok || v.([]any)[0] != "admin" || !fetched.Equal(now) {
		t.Fatalf("Peek = %v %v %v", v, fetched, ok)
	}
	if _, _, ok := r.Peek(alice, "roles", 10*time.Second); ok {
		t.Error("Peek served a value older than the max age asked for")
	}
	if _, _, ok := r.Peek(alice, "roles", 0); ok {
		t.Error("max age 0 is never served from the cache")
	}
	if _, _, ok := r.Peek(user("idp", "bob"), "roles", policy.NoMaxAge); ok {
		t.Error("Peek served alice's value to bob")
	}
	if src.calls.Load() != 1 {
		t.Errorf("source called %d times; Peek must call none", src.calls.Load())
	}
}

func TestADryRunFetchIsNeitherCachedNorWrittenBack(t *testing.T) {
	w := &recordingWriter{}
	src := &scriptedSource{value: constant([]any{"admin"})}
	r, err := New(Config{Writer: w, Now: newFakeClock().Now,
		Claims: []Claim{{Name: "roles", Source: src, MaxAge: time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	alice := user("sessions", "alice")
	alice.SessionID = "s1"
	if _, _, err := r.Refresh(verifier.WithDryRun(context.Background(), true), alice, "roles", policy.NoMaxAge); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if _, _, ok := r.Peek(alice, "roles", policy.NoMaxAge); ok {
		t.Error("a dry-run fetch was cached")
	}
	if len(w.writes) != 0 {
		t.Errorf("a dry-run fetch was written back: %v", w.writes)
	}
}
