package session_test

import (
	"context"
	"testing"
	"time"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

func TestADryRunNeverRecordsASessionUse(t *testing.T) {
	st, c := newMapStore(), newClock()
	m := newManager(t, st, c, session.Config{IdleTimeout: 10 * time.Minute, Lifetime: time.Hour})
	tok, created, err := m.Create(context.Background(), session.NewSession{UserID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	c.advance(5 * time.Minute) // well past the touch interval
	v := &session.Verifier{Manager: m, Cookie: "s"}
	cred := verifier.Credential{Source: verifier.Source{Kind: verifier.SourceCookie, Name: "s"}, Value: tok}
	id, err := v.Verify(verifier.WithDryRun(context.Background(), true), cred)
	if err != nil || id.SessionID != created.ID {
		t.Fatalf("dry run: %v %v", id, err)
	}
	if st.touches != 0 {
		t.Fatalf("a dry run recorded %d session uses", st.touches)
	}
	got, err := m.Get(context.Background(), created.ID)
	if err != nil || !got.LastSeen.Equal(created.LastSeen) || !got.IdleExpires.Equal(created.IdleExpires) {
		t.Fatalf("stored session changed: %+v, %v", got, err)
	}
	// A request does record it.
	if _, err := v.Verify(context.Background(), cred); err != nil || st.touches != 1 {
		t.Fatalf("request: %v, %d touches", err, st.touches)
	}
}
