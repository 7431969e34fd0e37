package session_test

import (
	"context"
	"errors"
	"testing"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

// FuzzSessionCookie feeds arbitrary cookie values to the session verifier:
// it must never panic, only the real token may authenticate, and every
// other value is a rejection with a reason (never a technical failure).
func FuzzSessionCookie(f *testing.F) {
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("not base64 !!")
	f.Add("\x00\xff\r\n")
	c := newClock()
	m := newManager(f, newMapStore(), c, session.Config{})
	tok, _, err := m.Create(context.Background(), session.NewSession{UserID: "u"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok)
	f.Add(tok[:len(tok)-1])
	v := &session.Verifier{Manager: m, Cookie: "sid"}
	src := verifier.Source{Kind: verifier.SourceCookie, Name: "sid"}
	f.Fuzz(func(t *testing.T, value string) {
		id, err := v.Verify(context.Background(), verifier.Credential{Source: src, Value: value})
		if value == tok {
			if err != nil || id.Subject != "u" {
				t.Fatalf("the real token failed: %v", err)
			}
			return
		}
		var rej *verifier.RejectedError
		if !errors.As(err, &rej) || id != nil {
			t.Fatalf("value %q: got (%v, %v), want a rejection", value, id, err)
		}
	})
}
