package session_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/session"
)

// clock is a settable time source.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) advance(d time.Duration) { c.now = c.now.Add(d) }
func newClock() *clock                   { return &clock{now: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)} }

func newManager(t testing.TB, st session.Store, c *clock, cfg session.Config) *session.Manager {
	t.Helper()
	cfg.Store, cfg.Now = st, c.Now
	m, err := session.NewManager(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

func wantReason(t *testing.T, err error, want verifier.Reason) {
	t.Helper()
	if got := verifier.ReasonOf(err); got != want {
		t.Fatalf("reason = %q (%v), want %q", got, err, want)
	}
}

func TestSessionsSlideAndExpire(t *testing.T) {
	st, c := newMapStore(), newClock()
	m := newManager(t, st, c, session.Config{IdleTimeout: 10 * time.Minute, Lifetime: time.Hour})
	ctx := context.Background()
	tok, s, err := m.Create(ctx, session.NewSession{UserID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != session.TokenLen || !s.Expires.Equal(c.now.Add(time.Hour)) || !s.IdleExpires.Equal(c.now.Add(10*time.Minute)) {
		t.Fatalf("new session %+v", s)
	}
	// Uses within the touch interval (1m here) write nothing.
	for range 5 {
		c.advance(10 * time.Second)
		if _, err := m.Authenticate(ctx, tok, ""); err != nil {
			t.Fatal(err)
		}
	}
	if st.touches != 0 {
		t.Fatalf("%d touches within the touch interval, want 0", st.touches)
	}
	c.advance(20 * time.Second)
	got, err := m.Authenticate(ctx, tok, "")
	if err != nil || st.touches != 1 || !got.IdleExpires.Equal(c.now.Add(10*time.Minute)) {
		t.Fatalf("after the interval: %v, %d touches, idle expiry %v", err, st.touches, got.IdleExpires)
	}
	// Used every 9 minutes it lives to its lifetime, and no longer.
	for c.now.Before(s.Expires.Add(-9 * time.Minute)) {
		c.advance(9 * time.Minute)
		if _, err := m.Authenticate(ctx, tok, ""); err != nil {
			t.Fatalf("at %v: %v", c.now, err)
		}
	}
	c.advance(9 * time.Minute)
	_, err = m.Authenticate(ctx, tok, "")
	wantReason(t, err, verifier.ReasonSessionExpired)

	idle, _, _ := m.Create(ctx, session.NewSession{UserID: "u"})
	c.advance(11 * time.Minute)
	_, err = m.Authenticate(ctx, idle, "")
	wantReason(t, err, verifier.ReasonSessionExpired)
}

func TestBadTokensAreRevokedReasons(t *testing.T) {
	m := newManager(t, newMapStore(), newClock(), session.Config{})
	ctx := context.Background()
	tok, _, _ := m.Create(ctx, session.NewSession{UserID: "u", Host: "a.example"})
	for _, tc := range []struct{ name, token, host string }{
		{"malformed", "short", "a.example"},
		{"unknown", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "a.example"},
		{"another host", tok, "b.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.Authenticate(ctx, tc.token, tc.host)
			wantReason(t, err, verifier.ReasonSessionRevoked)
		})
	}
	if _, err := m.Authenticate(ctx, tok, "A.example"); err != nil {
		t.Fatalf("bound host, other case: %v", err)
	}
}

func TestCapRevokesTheOldest(t *testing.T) {
	c := newClock()
	m := newManager(t, newMapStore(), c, session.Config{MaxPerUser: 2})
	ctx := context.Background()
	var toks []string
	for range 3 {
		tok, _, err := m.Create(ctx, session.NewSession{UserID: "u"})
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
		c.advance(time.Second)
	}
	_, err := m.Authenticate(ctx, toks[0], "")
	wantReason(t, err, verifier.ReasonSessionRevoked)
	for _, tok := range toks[1:] {
		if _, err := m.Authenticate(ctx, tok, ""); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDenyListByJTIAndSubject(t *testing.T) {
	c := newClock()
	m := newManager(t, newMapStore(), c, session.Config{CacheTTL: time.Second})
	ctx := context.Background()
	minted, _, _ := m.Create(ctx, session.NewSession{UserID: "sub1", Verifier: "idp", SourceJTI: "j-minted"})
	if _, err := m.Authenticate(ctx, minted, ""); err != nil {
		t.Fatal(err)
	}
	before := c.now.Add(-time.Minute)
	if _, err := m.Deny(ctx, session.Denial{JTI: "j1", Until: c.now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Deny(ctx, session.Denial{JTI: "j-minted", Until: c.now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	n, err := m.Deny(ctx, session.Denial{Subject: "sub2", Until: c.now.Add(time.Hour)})
	if err != nil || n != 0 {
		t.Fatalf("Deny(sub2) = %d, %v", n, err)
	}
	for _, tc := range []struct {
		name string
		id   verifier.Identity
		want bool
	}{
		{"a denied jti", verifier.Identity{TokenID: "j1", Subject: "x", IssuedAt: c.now}, true},
		{"another jti", verifier.Identity{TokenID: "j2", Subject: "x", IssuedAt: c.now}, false},
		{"a subject's older token", verifier.Identity{Subject: "sub2", IssuedAt: before}, true},
		{"a subject's token without iat", verifier.Identity{Subject: "sub2"}, true},
		{"a subject's newer token", verifier.Identity{Subject: "sub2", IssuedAt: c.now.Add(time.Second)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := m.Denied(ctx, &tc.id)
			if err != nil || got != tc.want {
				t.Fatalf("Denied = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	_, err = m.Authenticate(ctx, minted, "")
	wantReason(t, err, verifier.ReasonSessionRevoked)
	if _, err := m.Deny(ctx, session.Denial{JTI: "j", Subject: "s", Until: c.now.Add(time.Hour)}); err == nil {
		t.Fatal("Deny with both jti and sub succeeded")
	}
}

func TestClaimsAreWrittenBackWithTheirTime(t *testing.T) {
	c := newClock()
	m := newManager(t, newMapStore(), c, session.Config{CacheTTL: time.Minute})
	ctx := context.Background()
	tok, s, _ := m.Create(ctx, session.NewSession{UserID: "u", Claims: map[string]any{"roles": []any{"a"}}})
	if _, _, err := m.Create(ctx, session.NewSession{UserID: "u", Claims: map[string]any{"iat": 1}}); !errors.Is(err, session.ErrReservedClaim) {
		t.Fatalf("reserved claim at create: %v", err)
	}
	if err := m.SetClaim(ctx, s.ID, "exp", 1); !errors.Is(err, session.ErrReservedClaim) {
		t.Fatalf("reserved claim: %v", err)
	}
	if _, err := m.Authenticate(ctx, tok, ""); err != nil { // cache it
		t.Fatal(err)
	}
	m.Wait()
	fetched := c.now
	id := &verifier.Identity{SessionID: s.ID, Subject: "u"}
	if err := m.WriteClaim(ctx, id, "roles", []any{"b"}, fetched); err != nil {
		t.Fatal(err)
	}
	got, err := m.Authenticate(ctx, tok, "")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := got.Claims["roles"].(map[string]any)
	if v == nil || v["t"] != fetched.UnixMilli() {
		t.Fatalf("roles = %#v, want {v, t} with the fetch time", got.Claims["roles"])
	}
	if err := m.WriteClaim(ctx, &verifier.Identity{Subject: "u"}, "roles", 1, fetched); err != nil {
		t.Fatalf("WriteClaim for a non-session identity: %v", err)
	}
}
