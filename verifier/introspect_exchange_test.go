package verifier_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
)

// stytchSessionIssued is stytchSession with the session's start, where
// iat_path points.
func stytchSessionIssued(user string, started, exp time.Time) map[string]any {
	a := stytchSession(user, exp)
	a["session"].(map[string]any)["started_at"] = started.UTC().Format(time.RFC3339)
	return a
}

func TestExchangerNeedsAnIssueTimePath(t *testing.T) {
	c := newClock()
	v := newIntrospect(t, stytchConfig("http://127.0.0.1:1/", c))
	if _, err := v.Exchanger(); err == nil {
		t.Fatal("an introspect verifier without IssuedAtPath gave an exchanger")
	}
}

func TestExchangerReportsTheTokensOwnIssueTime(t *testing.T) {
	c := newClock()
	started, exp := c.Now().Add(-2*time.Minute).Truncate(time.Second), c.Now().Add(time.Hour).Truncate(time.Second)
	svc := newSessionService(t, answer(200, stytchSessionIssued("alice", started, exp)))
	cfg := stytchConfig(svc.URL, c)
	cfg.IssuedAtPath, cfg.SubjectTemplate = "session.started_at", "stytch:{sub}"
	v := newIntrospect(t, cfg)
	x, err := v.Exchanger()
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		id, err := x.Verify(context.Background(), bearer("opaque-token_1"))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte("opaque-token_1"))
		if !id.IssuedAt.Equal(started) || !id.ExpiresAt.Equal(exp) || id.Subject != "stytch:alice" || id.TokenDigest != hex.EncodeToString(sum[:]) {
			t.Errorf("identity %+v: want iat %v, exp %v, subject stytch:alice and the token's digest", id, started, exp)
		}
	}
	if n := svc.calls.Load(); n != 2 {
		t.Errorf("two exchanges made %d calls, want 2 (never from the cache)", n)
	}
	// Verify, for routes, keeps the answer's time: its claims are that fresh.
	id, err := v.Verify(context.Background(), bearer("opaque-token_1"))
	if err != nil || !id.IssuedAt.Equal(c.Now()) {
		t.Errorf("Verify: identity %+v, err %v; want IssuedAt now", id, err)
	}
}

func TestExchangerRefusals(t *testing.T) {
	c := newClock()
	exp := c.Now().Add(time.Hour)
	cases := []struct {
		name   string
		answer map[string]any
		want   verifier.Reason
	}{
		{"an answer without the issue time is too old", stytchSession("alice", exp), verifier.ReasonTooOld},
		{"an inactive token", nil, verifier.ReasonInactive},
		{"an issue time that is not a time proves nothing", map[string]any{"session": map[string]any{"user_id": "alice", "started_at": true}}, verifier.ReasonIntrospectionUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reply := answer(404, map[string]any{"error_type": "session_not_found"})
			if tc.answer != nil {
				reply = answer(200, tc.answer)
			}
			svc := newSessionService(t, reply)
			cfg := stytchConfig(svc.URL, c)
			cfg.IssuedAtPath, cfg.InactiveStatus = "session.started_at", []int{404}
			x, err := newIntrospect(t, cfg).Exchanger()
			if err != nil {
				t.Fatal(err)
			}
			id, err := x.Verify(context.Background(), bearer("opaque-token_1"))
			checkOutcome(t, id, err, "", tc.want)
		})
	}
}

func TestExchangerReadsIatInRFC7662Answers(t *testing.T) {
	c := newClock()
	iat := c.Now().Add(-time.Minute).Truncate(time.Second)
	svc := newSessionService(t, answer(200, map[string]any{"active": true, "sub": "alice", "iat": unix(iat), "exp": unix(c.Now().Add(time.Hour))}))
	v := newIntrospect(t, verifier.IntrospectConfig{Name: "oauth", URL: svc.URL, Mode: verifier.IntrospectRFC7662, IssuedAtPath: "iat", Now: c.Now})
	x, err := v.Exchanger()
	if err != nil {
		t.Fatal(err)
	}
	id, err := x.Verify(context.Background(), bearer("opaque-token_1"))
	if err != nil || !id.IssuedAt.Equal(iat) {
		t.Fatalf("identity %+v, err %v; want iat %v", id, err, iat)
	}
}

func TestNewExchangeVerifier(t *testing.T) {
	c := newClock()
	if v, err := verifier.NewExchangeVerifier(nil, nil, verifier.RouterOptions{}); v != nil || err != nil {
		t.Errorf("no verifiers: %v, %v; want nil, nil", v, err)
	}
	without := newIntrospect(t, stytchConfig("http://127.0.0.1:1/", c))
	if _, err := verifier.NewExchangeVerifier(nil, []*verifier.IntrospectVerifier{without}, verifier.RouterOptions{}); err == nil {
		t.Error("an introspect verifier without IssuedAtPath was accepted")
	}
	cfg := stytchConfig("http://127.0.0.1:1/", c)
	cfg.IssuedAtPath, cfg.MinTokenBytes = "session.started_at", 8
	v, err := verifier.NewExchangeVerifier(nil, []*verifier.IntrospectVerifier{newIntrospect(t, cfg)}, verifier.RouterOptions{})
	if err != nil || v == nil {
		t.Fatalf("one exchanger: %v, %v", v, err)
	}
	// A credential the shape check refuses costs no call and is not this
	// verifier's: a chain passes it on.
	_, err = v.Verify(context.Background(), bearer("short"))
	if !errors.Is(err, verifier.ErrNotResponsible) {
		t.Errorf("a junk token: %v, want not responsible", err)
	}
}
