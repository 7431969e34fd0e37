package session_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

func TestNewTokensCarryThePrefixAndOldTokensStayWellFormed(t *testing.T) {
	tok, h := session.NewToken()
	if !strings.HasPrefix(tok, session.TokenPrefix) || len(tok) != session.TokenLen || h != session.HashToken(tok) {
		t.Fatalf("token %d chars, prefix %v", len(tok), strings.HasPrefix(tok, session.TokenPrefix))
	}
	legacy := strings.TrimPrefix(tok, session.TokenPrefix)
	for _, tc := range []struct {
		name  string
		token string
		want  bool
	}{
		{"a new token", tok, true},
		{"a token minted before the prefix", legacy, true},
		{"the prefix twice", session.TokenPrefix + tok, false},
		{"the prefix in upper case", strings.ToUpper(session.TokenPrefix) + legacy, false},
		{"the prefix alone", session.TokenPrefix, false},
		{"one character short", tok[:len(tok)-1], false},
		{"a character outside base64url", tok[:len(tok)-1] + "=", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := session.WellFormed(tc.token); got != tc.want {
				t.Fatalf("WellFormed = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestATokenMintedBeforeThePrefixStillVerifiesAsACookie(t *testing.T) {
	st := newMapStore()
	m := newManager(t, st, newClock(), session.Config{})
	ctx := context.Background()
	tok, s, err := m.Create(ctx, session.NewSession{UserID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	// A record written by the previous version keys the hash of a token
	// without the prefix.
	legacy := strings.TrimPrefix(tok, session.TokenPrefix)
	st.mu.Lock()
	st.byID[s.ID].TokenHash = session.HashToken(legacy)
	st.mu.Unlock()
	v := &session.Verifier{Manager: m, Cookie: "sid", Bearer: true}
	id, err := v.Verify(ctx, verifier.Credential{Source: verifier.Source{Kind: verifier.SourceCookie, Name: "sid"}, Value: legacy})
	if err != nil || id.SessionID != s.ID {
		t.Fatalf("legacy cookie: %v", err)
	}
	// Without the prefix it is not a session token in a header: another
	// verifier's.
	_, err = v.Verify(ctx, verifier.Credential{Source: session.BearerSource, Value: legacy})
	if !errors.Is(err, verifier.ErrNotResponsible) {
		t.Fatalf("legacy bearer: err = %v, want not responsible", err)
	}
}

func TestVerifierReadsBearerTokensOnlyWhenBearerIsOn(t *testing.T) {
	m := newManager(t, newMapStore(), newClock(), session.Config{})
	ctx := context.Background()
	tok, s, err := m.Create(ctx, session.NewSession{UserID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	cred := verifier.Credential{Source: session.BearerSource, Value: tok}
	off := &session.Verifier{Manager: m, Cookie: "sid"}
	if _, err := off.Verify(ctx, cred); !errors.Is(err, verifier.ErrNotResponsible) {
		t.Fatalf("bearer off: err = %v, want not responsible", err)
	}
	on := &session.Verifier{Manager: m, Cookie: "sid", Bearer: true}
	if id, err := on.Verify(ctx, cred); err != nil || id.SessionID != s.ID {
		t.Fatalf("bearer on: %v", err)
	}
	other := verifier.Credential{Source: verifier.Source{Kind: verifier.SourceHeader, Name: "X-Token"}, Value: tok}
	if _, err := on.Verify(ctx, other); !errors.Is(err, verifier.ErrNotResponsible) {
		t.Fatalf("another header: err = %v, want not responsible", err)
	}
}

// countingVerifier counts the credentials it is handed.
type countingVerifier struct{ calls int }

func (c *countingVerifier) Verify(context.Context, verifier.Credential) (*verifier.Identity, error) {
	c.calls++
	return &verifier.Identity{Subject: "other"}, nil
}

func TestGuardNeverPassesASessionTokenOn(t *testing.T) {
	m := newManager(t, newMapStore(), newClock(), session.Config{})
	ctx := context.Background()
	tok, _, err := m.Create(ctx, session.NewSession{UserID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	sessions := &session.Verifier{Manager: m, Cookie: "sid", Bearer: true}
	off := &session.Verifier{Manager: m, Cookie: "sid"}
	tampered := tok[:len(tok)-1] + map[bool]string{true: "A", false: "B"}[tok[len(tok)-1] != 'A']
	for _, tc := range []struct {
		name       string
		sessions   verifier.Verifier
		value      string
		wantReason verifier.Reason
		wantOther  int
	}{
		{"a live session token", sessions, tok, "", 0},
		{"a tampered session token", sessions, tampered, verifier.ReasonSessionRevoked, 0},
		{"an unknown well-formed session token", sessions, session.TokenPrefix + strings.Repeat("x", 43), verifier.ReasonSessionRevoked, 0},
		{"a prefixed token of the wrong length", sessions, session.TokenPrefix + "short", verifier.ReasonSessionRevoked, 0},
		{"a session token where bearer is off", off, tok, verifier.ReasonBadIssuer, 0},
		{"a session token where no session verifier reads", nil, tok, verifier.ReasonBadIssuer, 0},
		{"any other token", sessions, "opaque-token-of-the-idp", "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			others := &countingVerifier{}
			g := &session.Guard{Sessions: tc.sessions, Others: others}
			_, err := g.Verify(ctx, verifier.Credential{Source: session.BearerSource, Value: tc.value})
			if got := verifier.ReasonOf(err); got != tc.wantReason {
				t.Fatalf("reason = %q (%v), want %q", got, err, tc.wantReason)
			}
			if others.calls != tc.wantOther {
				t.Fatalf("other verifiers called %d times, want %d", others.calls, tc.wantOther)
			}
		})
	}
}

func TestGuardedFindsTheSessionVerifiersOfAChain(t *testing.T) {
	m := newManager(t, newMapStore(), newClock(), session.Config{})
	ctx := context.Background()
	tok, _, err := m.Create(ctx, session.NewSession{UserID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	sv := &session.Verifier{Manager: m, Cookie: "sid", Bearer: true}
	others := &countingVerifier{}
	for _, tc := range []struct {
		name       string
		v          verifier.Verifier
		wantReason verifier.Reason
	}{
		{"the session verifier alone", sv, ""},
		{"a chain holding it", verifier.Chain{others, sv}, ""},
		{"a chain without it", verifier.Chain{others}, verifier.ReasonBadIssuer},
		{"another verifier", others, verifier.ReasonBadIssuer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := session.Guarded(tc.v).Verify(ctx, verifier.Credential{Source: session.BearerSource, Value: tok})
			if got := verifier.ReasonOf(err); got != tc.wantReason || others.calls != 0 {
				t.Fatalf("reason = %q (%v), other verifier called %d times", got, err, others.calls)
			}
		})
	}
}
