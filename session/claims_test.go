package session_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authgate/authgate/session"
)

func TestDeleteClaimRemovesItFromTheCachedSessionToo(t *testing.T) {
	c := newClock()
	m := newManager(t, newMapStore(), c, session.Config{CacheTTL: time.Minute})
	ctx := context.Background()
	tok, s, _ := m.Create(ctx, session.NewSession{UserID: "u", Claims: map[string]any{"mfa": true}})
	if _, err := m.Authenticate(ctx, tok, ""); err != nil { // cache it
		t.Fatal(err)
	}
	m.Wait()
	if err := m.DeleteClaim(ctx, s.ID, "exp"); !errors.Is(err, session.ErrReservedClaim) {
		t.Fatalf("deleting a reserved claim: %v, want ErrReservedClaim", err)
	}
	if err := m.DeleteClaim(ctx, s.ID, "mfa"); err != nil {
		t.Fatal(err)
	}
	got, err := m.Authenticate(ctx, tok, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got.Claims["mfa"]; ok {
		t.Fatal("the removed claim is still served from the cache")
	}
	if err := m.DeleteClaim(ctx, s.ID, "mfa"); !errors.Is(err, session.ErrNoClaim) {
		t.Fatalf("deleting it again: %v, want ErrNoClaim", err)
	}
	if err := m.DeleteClaim(ctx, "ses_none", "mfa"); !errors.Is(err, session.ErrNotFound) || errors.Is(err, session.ErrNoClaim) {
		t.Fatalf("deleting from an unknown session: %v, want ErrNotFound", err)
	}
}
