package session_test

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

func TestAttestRotatesTheTokenAndAddsOnlyTheFactor(t *testing.T) {
	c := newClock()
	m := newManager(t, newMapStore(), c, session.Config{IdleTimeout: 10 * time.Minute, Lifetime: time.Hour, CacheTTL: time.Second})
	ctx := context.Background()
	oldTok, old, err := m.Create(ctx, session.NewSession{UserID: "alice", Verifier: "idp", AMR: []string{"pwd"},
		Claims: map[string]any{"roles": []any{"viewer"}, "amr": []any{"pwd"}}})
	if err != nil {
		t.Fatal(err)
	}
	c.advance(time.Minute)
	tok, s, err := m.Attest(ctx, old, session.Attestation{Verifier: "mfa", AMR: []string{"otp", "pwd"}, NotAfter: c.now.Add(30 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if tok == oldTok || s.ID == old.ID {
		t.Fatal("the token or id did not change")
	}
	_, err = m.Authenticate(ctx, oldTok, "")
	wantReason(t, err, verifier.ReasonSessionRevoked)
	got, err := m.Authenticate(ctx, tok, "")
	if err != nil {
		t.Fatal(err)
	}
	wantClaims := map[string]any{"roles": []any{"viewer"}, "amr": []any{"pwd", "otp"}}
	if !reflect.DeepEqual(got.Claims, wantClaims) {
		t.Errorf("claims %v, want %v", got.Claims, wantClaims)
	}
	if len(got.Factors) != 2 || got.Factors[1].Verifier != "mfa" || !got.Factors[1].At.Equal(c.now) {
		t.Errorf("factors %+v, want the exchange's then mfa's", got.Factors)
	}
	if got.Origin() != "idp" || !got.Created.Equal(old.Created) || !got.Expires.Equal(c.now.Add(30*time.Minute)) {
		t.Errorf("session %+v: want origin idp, the old start, and the earlier expiry", got)
	}
	// Never later: an attestation with a later bound keeps the expiry.
	_, again, err := m.Attest(ctx, got, session.Attestation{Verifier: "mfa", NotAfter: c.now.Add(50 * time.Minute)})
	if err != nil || !again.Expires.Equal(got.Expires) {
		t.Errorf("expiry moved to %v (err %v), want %v", again.Expires, err, got.Expires)
	}
}

func TestAttestOfARevokedSessionLeavesNothing(t *testing.T) {
	c := newClock()
	m := newManager(t, newMapStore(), c, session.Config{})
	ctx := context.Background()
	_, old, err := m.Create(ctx, session.NewSession{UserID: "alice", Verifier: "idp"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Revoke(ctx, old.ID); err != nil {
		t.Fatal(err)
	}
	tok, _, err := m.Attest(ctx, old, session.Attestation{Verifier: "idp"})
	if !errors.Is(err, session.ErrNotFound) || tok != "" {
		t.Fatalf("attest of a revoked session: %q, %v; want ErrNotFound", tok, err)
	}
	if live, _ := m.List(ctx, "alice"); len(live) != 0 {
		t.Fatalf("%d sessions left, want none", len(live))
	}
}

func TestAttestKeepsTheFirstAndTheLatestFactors(t *testing.T) {
	c := newClock()
	m := newManager(t, newMapStore(), c, session.Config{})
	ctx := context.Background()
	_, s, err := m.Create(ctx, session.NewSession{UserID: "alice", Verifier: "origin"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		c.advance(time.Second)
		if _, s, err = m.Attest(ctx, s, session.Attestation{Verifier: "v" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if len(s.Factors) != 16 || s.Factors[0].Verifier != "origin" || s.Factors[15].Verifier != "v39" || s.Factors[1].Verifier != "v25" {
		t.Fatalf("%d factors, first %q, second %q, last %q", len(s.Factors), s.Factors[0].Verifier, s.Factors[1].Verifier, s.Factors[len(s.Factors)-1].Verifier)
	}
}
