package session_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

func TestVerifierTakesOnlyItsCookie(t *testing.T) {
	c := newClock()
	m := newManager(t, newMapStore(), c, session.Config{})
	ctx := context.Background()
	iat := c.now.Add(-2 * time.Minute)
	tok, s, err := m.Create(ctx, session.NewSession{UserID: "u", Verifier: "idp", SourceJTI: "j", ClaimsAt: iat, Claims: map[string]any{"email": "u@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	v := &session.Verifier{Manager: m, Cookie: "sid", HostOf: func(context.Context) string { return "a.example" }}
	for _, tc := range []struct {
		name    string
		source  verifier.Source
		wantErr error
	}{
		{"the session cookie", verifier.Source{Kind: verifier.SourceCookie, Name: "sid"}, nil},
		{"another cookie", verifier.Source{Kind: verifier.SourceCookie, Name: "id_token"}, verifier.ErrNotResponsible},
		{"a header", verifier.Source{Kind: verifier.SourceHeader, Name: "Authorization", Scheme: "Bearer"}, verifier.ErrNotResponsible},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := v.Verify(ctx, verifier.Credential{Source: tc.source, Value: tok})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil {
				return
			}
			if id.Subject != "u" || id.SessionID != s.ID || id.Verifier != "idp" || !id.ClaimTimesTrusted ||
				id.Claims["email"] != "u@example.com" || id.Claims["sub"] != "u" || !id.ExpiresAt.Equal(s.ExpiresAt()) ||
				!id.IssuedAt.Equal(iat) { // claims are as old as the exchanged token
				t.Fatalf("identity %+v", id)
			}
		})
	}
}
