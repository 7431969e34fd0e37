package session_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/session/boltstore"
	"github.com/authgate/authgate/verifier"
)

// A Manager over a bolt store mints a session for a verified identity; the
// session's token, sent back in the session cookie, then verifies as that
// identity until the session is revoked.
func Example() {
	dir, err := os.MkdirTemp("", "sessions")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := boltstore.Open(filepath.Join(dir, "sessions.db"), boltstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	m, err := session.NewManager(session.Config{Store: store})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()

	// An identity some verifier accepted, e.g. from an identity provider's JWT.
	id := &verifier.Identity{Verifier: "idp", Subject: "alice", Claims: map[string]any{"email": "alice@example.com"}}
	token, s, err := m.Create(ctx, session.NewSession{UserID: id.Subject, Verifier: id.Verifier, Claims: id.Claims})
	if err != nil {
		log.Fatal(err)
	}

	// The session token comes back in the cookie.
	v := &session.Verifier{Manager: m, Cookie: "session"}
	cred := verifier.Credential{Source: verifier.Source{Kind: verifier.SourceCookie, Name: "session"}, Value: token}
	got, err := v.Verify(ctx, cred)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Subject, got.Claims["email"], got.SessionID == s.ID)

	if _, err := m.Revoke(ctx, s.ID); err != nil {
		log.Fatal(err)
	}
	_, err = v.Verify(ctx, cred)
	fmt.Println(verifier.ReasonOf(err))
	// Output:
	// alice alice@example.com true
	// session_revoked
}
