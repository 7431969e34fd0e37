package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/session/redisstore"
)

// TestClaimChangesOnOneInstanceInvalidateTheOthersCache: B caches the
// session for an hour; a claim set or removed on A reaches B at once.
func TestClaimChangesOnOneInstanceInvalidateTheOthersCache(t *testing.T) {
	rdb, p := client(t), prefix(t)
	a, b := manager(t, redisstore.New(rdb, p)), manager(t, redisstore.New(rdb, p))
	ctx := context.Background()
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n, err := rdb.PubSubNumSub(ctx, p+"events").Result()
		if err == nil && n[p+"events"] >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("subscriptions not up: %v %v", n, err)
		}
	}
	tok, s, err := a.Create(ctx, session.NewSession{UserID: "u", Claims: map[string]any{"mfa": true}})
	if err != nil {
		t.Fatal(err)
	}
	claimOnB := func() (any, bool) {
		got, err := b.Authenticate(ctx, tok, "")
		if err != nil {
			t.Fatal(err)
		}
		v, ok := got.Claims["mfa"]
		return v, ok
	}
	if _, ok := claimOnB(); !ok {
		t.Fatal("B does not see the claim")
	}
	b.Wait()
	if err := a.DeleteClaim(ctx, s.ID, "mfa"); err != nil {
		t.Fatal(err)
	}
	waitOnB(t, "claim removal on A", func() bool { _, ok := claimOnB(); return !ok })
	b.Wait()
	if err := a.SetClaim(ctx, s.ID, "mfa", nil); err != nil {
		t.Fatal(err)
	}
	waitOnB(t, "null claim set on A", func() bool { v, ok := claimOnB(); return ok && v == nil })
}

func waitOnB(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: B still serves its cached copy", what)
		}
	}
}
