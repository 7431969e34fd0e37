package session_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
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

// TestSubjectRevocationEndsSessionsOfOlderTokens: an exchange that
// checked the deny-list just before a subject's revocation can create
// its session just after it; the session is younger than the
// revocation, its token is not, and that ends it. A session from a token
// issued after the revocation lives.
func TestSubjectRevocationEndsSessionsOfOlderTokens(t *testing.T) {
	c := newClock()
	m := newManager(t, newMapStore(), c, session.Config{CacheTTL: time.Second})
	ctx := context.Background()
	issued := c.now.Add(-time.Second)
	if _, err := m.Deny(ctx, session.Denial{Subject: "late", Until: c.now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	c.advance(time.Second)
	raced, _, _ := m.Create(ctx, session.NewSession{UserID: "late", Verifier: "idp", ClaimsAt: issued})
	_, err := m.Authenticate(ctx, raced, "")
	wantReason(t, err, verifier.ReasonSessionRevoked)
	newer, _, _ := m.Create(ctx, session.NewSession{UserID: "late", Verifier: "idp", ClaimsAt: c.now.Add(-time.Millisecond)})
	if _, err := m.Authenticate(ctx, newer, ""); err != nil {
		t.Fatalf("a session of a token issued after the revocation: %v", err)
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
	// Stores keep claims as JSON: the time comes back as an exact number.
	if v == nil || v["t"] != json.Number(strconv.FormatInt(fetched.UnixMilli(), 10)) {
		t.Fatalf("roles = %#v, want {v, t} with the fetch time", got.Claims["roles"])
	}
	if err := m.WriteClaim(ctx, &verifier.Identity{Subject: "u"}, "roles", 1, fetched); err != nil {
		t.Fatalf("WriteClaim for a non-session identity: %v", err)
	}
}

func TestRevokeWhereEndsTheMatchingSessionsOfOneUser(t *testing.T) {
	logout := func(provider, sid string) func(*session.Session) bool {
		return func(s *session.Session) bool {
			return s.Provider == provider && (sid == "" || s.ProviderSID == sid)
		}
	}
	for _, tc := range []struct {
		name  string
		match func(*session.Session) bool
		want  []string // names of the sessions revoked
	}{
		{"a provider session id ends its sessions, expired or not", logout("corp", "s1"), []string{"corp-s1", "corp-s1-expired"}},
		{"no session id ends every session of the provider", logout("corp", ""), []string{"corp-s1", "corp-s2", "corp-nosid", "corp-s1-expired"}},
		{"an unknown provider ends nothing", logout("nobody", ""), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			m := newManager(t, newMapStore(), c, session.Config{CacheTTL: time.Hour})
			ctx := context.Background()
			toks := map[string]string{}
			mint := func(name, user, provider, sid string, ttl time.Duration) {
				tok, _, err := m.Create(ctx, session.NewSession{UserID: user, Provider: provider, ProviderSID: sid, TTL: ttl})
				if err != nil {
					t.Fatal(err)
				}
				toks[name] = tok
			}
			mint("corp-s1-expired", "u", "corp", "s1", time.Minute)
			c.advance(2 * time.Minute)
			mint("corp-s1", "u", "corp", "s1", 0)
			mint("corp-s2", "u", "corp", "s2", 0)
			mint("corp-nosid", "u", "corp", "", 0)
			mint("other-s1", "u", "other", "s1", 0)
			mint("exchanged", "u", "", "", 0)
			mint("another-user", "v", "corp", "s1", 0)
			for name, tok := range toks { // cache the live ones
				if _, err := m.Authenticate(ctx, tok, ""); err != nil && name != "corp-s1-expired" {
					t.Fatal(err)
				}
			}
			m.Wait()
			n, err := m.RevokeWhere(ctx, "u", tc.match)
			if err != nil || n != len(tc.want) {
				t.Fatalf("RevokeWhere = %d, %v; want %d", n, err, len(tc.want))
			}
			for _, name := range tc.want {
				if s, err := m.RevokeToken(ctx, toks[name]); s != nil || err != nil {
					t.Errorf("%s: still stored after RevokeWhere: %v, %v", name, s, err)
				}
				_, err := m.Authenticate(ctx, toks[name], "")
				wantReason(t, err, verifier.ReasonSessionRevoked)
				delete(toks, name)
			}
			delete(toks, "corp-s1-expired")
			for name, tok := range toks {
				if _, err := m.Authenticate(ctx, tok, ""); err != nil {
					t.Errorf("%s was not matched but: %v", name, err)
				}
			}
		})
	}
	m := newManager(t, newMapStore(), newClock(), session.Config{})
	if _, err := m.RevokeWhere(context.Background(), "u", nil); err == nil {
		t.Fatal("RevokeWhere with a nil match succeeded")
	}
}

func TestRevokeTokenReturnsTheSessionItEndedWithoutTouchingIt(t *testing.T) {
	st, c := newMapStore(), newClock()
	m := newManager(t, st, c, session.Config{IdleTimeout: 10 * time.Minute})
	ctx := context.Background()
	ns := session.NewSession{UserID: "u", Provider: "corp", ProviderSID: "sid-1", IDToken: "header.payload.signature"}
	tok, created, err := m.Create(ctx, ns)
	if err != nil {
		t.Fatal(err)
	}
	revoked, s, _ := m.Create(ctx, session.NewSession{UserID: "u"})
	if _, err := m.Revoke(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	expired, _, _ := m.Create(ctx, session.NewSession{UserID: "u", Provider: "corp"})
	c.advance(5 * time.Minute) // past the touch interval
	got, err := m.RevokeToken(ctx, tok)
	if err != nil || got == nil {
		t.Fatalf("RevokeToken = %v, %v", got, err)
	}
	if got.ID != created.ID || got.Provider != ns.Provider || got.ProviderSID != ns.ProviderSID || got.IDToken != ns.IDToken {
		t.Fatalf("RevokeToken = %+v, want the provider fields given to Create", got)
	}
	if st.touches != 0 || !got.LastSeen.Equal(created.LastSeen) {
		t.Fatalf("RevokeToken recorded a use: %d touches, last seen %v", st.touches, got.LastSeen)
	}
	_, err = m.Authenticate(ctx, tok, "")
	wantReason(t, err, verifier.ReasonSessionRevoked)
	for _, tc := range []struct{ name, token string }{
		{"a malformed token", "short"},
		{"an unknown token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"a revoked token", revoked},
		{"a token revoked just now", tok},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := m.RevokeToken(ctx, tc.token); s != nil || err != nil {
				t.Fatalf("RevokeToken = %v, %v; want nothing", s, err)
			}
		})
	}
	// A session that lapsed by idle time is still ended and returned: its
	// provider session may be alive (logout goes on to the provider).
	c.advance(6 * time.Minute)
	if got, err := m.RevokeToken(ctx, expired); err != nil || got == nil || got.Provider != "corp" {
		t.Fatalf("RevokeToken of an expired session = %v, %v", got, err)
	}
}

func TestManagerLinksKeysToValues(t *testing.T) {
	c := newClock()
	m := newManager(t, newMapStore(), c, session.Config{})
	ctx := context.Background()
	if err := m.Link(ctx, "corp|sid-1", "alice", c.now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if v, err := m.Linked(ctx, "corp|sid-1"); err != nil || v != "alice" {
		t.Fatalf("Linked = %q, %v; want alice", v, err)
	}
	if err := m.Link(ctx, "", "alice", c.now.Add(time.Hour)); err == nil {
		t.Fatal("Link with an empty key succeeded")
	}
	if _, err := m.Linked(ctx, ""); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Linked(empty) = %v, want ErrNotFound", err)
	}
}
