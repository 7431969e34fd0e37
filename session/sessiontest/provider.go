package sessiontest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authgate/authgate/session"
)

// testProviderFields checks that what an OIDC login stores with a session
// (provider, its session id, the raw ID token for id_token_hint) comes back
// from every lookup, and is kept by updates that rewrite the record.
func testProviderFields(t *testing.T, s session.Store) {
	ctx := context.Background()
	ses, tok := fixture("olga", 0)
	ses.Provider, ses.ProviderSID = "corp", "sid-08a5019c-17e1-4977-8f42-65a12843ea02"
	ses.IDToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvbGdhIn0.c2lnbmF0dXJl"
	ses.SourceKey, ses.SourceExpires = "j:0a1b", ses.Expires.Add(time.Hour)
	mustCreate(t, s, ses)
	check := func(step string) {
		t.Helper()
		got, err := s.ByToken(ctx, session.HashToken(tok))
		if err != nil {
			t.Fatalf("%s: ByToken: %v", step, err)
		}
		wantSame(t, got, ses)
		if got, err = s.ByID(ctx, ses.ID); err != nil {
			t.Fatalf("%s: ByID: %v", step, err)
		}
		wantSame(t, got, ses)
		list, err := s.ByUser(ctx, "olga")
		if err != nil || len(list) != 1 {
			t.Fatalf("%s: ByUser = %d sessions, %v; want 1", step, len(list), err)
		}
		wantSame(t, list[0], ses)
	}
	check("after create")
	ls, ie, pa := ses.LastSeen.Add(time.Minute), ses.IdleExpires.Add(time.Minute), ses.PurgeAt.Add(time.Minute)
	if err := s.Touch(ctx, ses.ID, ls, ie, pa); err != nil {
		t.Fatalf("Touch: %v", err)
	}
	ses.LastSeen, ses.IdleExpires, ses.PurgeAt = ls, ie, pa
	check("after touch")
	if err := s.SetClaim(ctx, ses.ID, "level", "2fa"); err != nil {
		t.Fatalf("SetClaim: %v", err)
	}
	ses.Claims["level"] = "2fa"
	check("after set claim")
	gone, err := s.Delete(ctx, ses.ID)
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantSame(t, gone, ses)
}

// testLinks covers links: set, replaced (value and time), unknown, lapsed,
// and set again after lapsing.
func testLinks(t *testing.T, s session.Store) {
	ctx := context.Background()
	wantLinked := func(key, want string) {
		t.Helper()
		got, err := s.Linked(ctx, key)
		if err != nil || got != want {
			t.Fatalf("Linked(%q) = %q, %v; want %q", key, got, err, want)
		}
	}
	hour := time.Now().Add(time.Hour)
	mustLink(t, s, "corp|sid-1", "alice", hour)
	mustLink(t, s, "corp|sid-2", "bob", hour)
	wantLinked("corp|sid-1", "alice")
	wantLinked("corp|sid-2", "bob")
	mustLink(t, s, "corp|sid-1", "carol", hour)
	wantLinked("corp|sid-1", "carol")
	_, err := s.Linked(ctx, "corp|sid-unknown")
	wantNotFound(t, err)

	// A replacement with an earlier time wins: links are not extended
	// like deny-list entries.
	mustLink(t, s, "corp|sid-1", "dave", time.Now().Add(300*time.Millisecond))
	mustLink(t, s, "corp|sid-past", "erin", time.Now().Add(-time.Second))
	_, err = s.Linked(ctx, "corp|sid-past")
	wantNotFound(t, err)
	waitLapsed(t, s, "corp|sid-1", "dave")
	wantLinked("corp|sid-2", "bob")
	mustLink(t, s, "corp|sid-1", "frank", hour)
	wantLinked("corp|sid-1", "frank")
}

func mustLink(t *testing.T, s session.Store, key, value string, until time.Time) {
	t.Helper()
	if err := s.Link(context.Background(), key, value, until); err != nil {
		t.Fatalf("Link(%q): %v", key, err)
	}
}

// waitLapsed polls, for a bounded time, until key's link has lapsed; until
// then it must hold want.
func waitLapsed(t *testing.T, s session.Store, key, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, err := s.Linked(context.Background(), key)
		if errors.Is(err, session.ErrNotFound) {
			return
		}
		if err != nil || v != want {
			t.Fatalf("Linked(%q) = %q, %v; want %q or ErrNotFound", key, v, err, want)
		}
		if time.Now().After(deadline) {
			t.Fatalf("Linked(%q) = %q after its time, want ErrNotFound", key, v)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
