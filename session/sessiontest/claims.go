package sessiontest

import (
	"context"
	"errors"
	"testing"

	"github.com/authgate/authgate/session"
)

func testDeleteClaim(t *testing.T, s session.Store) {
	ctx := context.Background()
	ses, tok := fixture("gina", 0)
	mustCreate(t, s, ses)
	if err := s.DeleteClaim(ctx, ses.ID, "mfa"); err != nil {
		t.Fatalf("DeleteClaim: %v", err)
	}
	err := s.DeleteClaim(ctx, ses.ID, "mfa")
	if !errors.Is(err, session.ErrNoClaim) || !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("deleting an absent claim: err = %v, want ErrNoClaim (an ErrNotFound)", err)
	}
	if err := s.DeleteClaim(ctx, "ses_none", "email"); !errors.Is(err, session.ErrNotFound) || errors.Is(err, session.ErrNoClaim) {
		t.Fatalf("deleting a claim of an unknown session: err = %v, want ErrNotFound only", err)
	}
	got, err := s.ByToken(ctx, session.HashToken(tok))
	if err != nil {
		t.Fatal(err)
	}
	delete(ses.Claims, "mfa")
	wantSame(t, got, ses)
}

func testNullClaim(t *testing.T, s session.Store) {
	ctx := context.Background()
	ses, tok := fixture("hank", 0)
	mustCreate(t, s, ses)
	if err := s.SetClaim(ctx, ses.ID, "mfa", nil); err != nil {
		t.Fatalf("SetClaim null: %v", err)
	}
	got, err := s.ByToken(ctx, session.HashToken(tok))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := got.Claims["mfa"]; !ok || v != nil {
		t.Fatalf("claim set to null reads as %v (present %v), want a present null", v, ok)
	}
	if err := s.DeleteClaim(ctx, ses.ID, "mfa"); err != nil {
		t.Fatalf("DeleteClaim of a null claim: %v", err)
	}
	if got, _ = s.ByToken(ctx, session.HashToken(tok)); got == nil {
		t.Fatal("session gone after deleting a claim")
	}
	if _, ok := got.Claims["mfa"]; ok {
		t.Fatal("claim still there after DeleteClaim")
	}
}
