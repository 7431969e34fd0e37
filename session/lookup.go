package session

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/authgate/authgate/verifier"
)

// Reasons for refusing a session token, as verifier reasons.
var (
	errUnknown   = errors.New("session token is unknown or revoked")
	errExpired   = errors.New("session has expired")
	errWrongHost = errors.New("session is bound to another site")
	errDenied    = errors.New("the token the session was minted from is revoked")
)

// Authenticate returns the live session of token, used on host. An
// unknown, malformed, revoked or foreign-host token is a
// *verifier.RejectedError with reason session_revoked; an expired one
// session_expired; a store failure an *verifier.UnavailableError. A use
// more than TouchInterval after the last recorded one extends the idle
// expiry.
func (m *Manager) Authenticate(ctx context.Context, token, host string) (*Session, error) {
	e, _, err := m.authenticate(ctx, token, host, nil)
	return e.s, err
}

// authenticate is Authenticate returning the session's identity too, and
// whether the cache answered. When origins is not nil, a session whose
// Origin is not in it is refused with reason bad_issuer (before its use is
// recorded).
func (m *Manager) authenticate(ctx context.Context, token, host string, origins map[string]bool) (e cacheEntry, cached bool, err error) {
	if !WellFormed(token) {
		return cacheEntry{}, false, verifier.Reject(verifier.ReasonSessionRevoked, errUnknown)
	}
	h := HashToken(token)
	if e, cached, err = m.lookup(ctx, h); err != nil {
		return cacheEntry{}, false, err
	}
	now := m.cfg.Now()
	if !e.s.Live(now) && cached {
		// Another instance may have extended it: ask the store.
		m.cache.del(tokenKey(h))
		if e, cached, err = m.lookup(ctx, h); err != nil {
			return cacheEntry{}, false, err
		}
	}
	s := e.s
	if !s.Live(now) {
		return cacheEntry{}, cached, verifier.Reject(verifier.ReasonSessionExpired, errExpired)
	}
	if s.Host != "" && !strings.EqualFold(s.Host, host) {
		return cacheEntry{}, cached, verifier.Reject(verifier.ReasonSessionRevoked, errWrongHost)
	}
	if origins != nil && !origins[s.Origin()] {
		return cacheEntry{}, cached, verifier.Reject(verifier.ReasonBadIssuer, errOrigin)
	}
	if err := m.checkSource(ctx, s); err != nil {
		return cacheEntry{}, cached, err
	}
	if now.Sub(s.LastSeen) >= m.cfg.TouchInterval && now.Before(s.Expires) && !dryRun(ctx) {
		t, err := m.touch(ctx, s, now)
		if err != nil {
			return cacheEntry{}, cached, err
		}
		return cacheEntry{s: t, id: identity(t)}, cached, nil
	}
	return e, cached, nil
}

// lookup reads the session of h from the cache or the store; concurrent
// misses for one token make one store read.
func (m *Manager) lookup(ctx context.Context, h Hash) (cacheEntry, bool, error) {
	key := tokenKey(h)
	start := m.cfg.Now()
	if e, ok := m.cache.get(key, start); ok {
		return e, true, nil
	}
	// The entry's age counts from before the read, so a slow read cannot
	// stretch how long a since-revoked session is served.
	gen := m.cache.generation()
	v, err, _ := m.flights.Do("t"+key, func() (any, error) {
		// Shared by concurrent requests: one client going away must not
		// fail the others, so the read is detached from the request, and
		// bounded by its own deadline instead.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.cfg.StoreTimeout)
		defer cancel()
		return m.records.ByToken(rctx, h)
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return cacheEntry{}, false, verifier.Reject(verifier.ReasonSessionRevoked, errUnknown)
	case err != nil:
		return cacheEntry{}, false, verifier.Unavailable(verifier.ReasonStoreUnavailable, err)
	}
	s := v.(*Session)
	e := cacheEntry{s: s, id: identity(s)}
	m.cache.set(key, e, gen, start, 2*sessionCost(s))
	return e, false, nil
}

// checkSource refuses sessions minted from a token that was deny-listed
// since: by jti, by its key, or by subject before the session was created
// or before the token it was minted from was issued. The token's issue
// time counts because an exchange that checked the deny-list just before
// a subject's revocation was written can create its session just after
// the revocation removed the subject's sessions: that session is younger
// than the revocation, its token is not.
func (m *Manager) checkSource(ctx context.Context, s *Session) error {
	if s.Verifier == "" {
		return nil
	}
	st, err := m.denyState(ctx, DenyQuery{JTI: s.SourceJTI, Token: s.SourceKey, Subject: s.UserID})
	if err != nil {
		return err
	}
	if st.JTI || st.Token || revokedSubject(s, st.SubjectBefore) {
		return verifier.Reject(verifier.ReasonSessionRevoked, errDenied)
	}
	return nil
}

// revokedSubject reports whether a revocation of s's subject at before
// ends s: s was created by then, or its token (ClaimsAt, the exchanged
// token's or ID token's iat) was issued before it, as Denied judges a
// token.
func revokedSubject(s *Session, before time.Time) bool {
	if before.IsZero() {
		return false
	}
	return !s.Created.After(before) || !s.ClaimsAt.IsZero() && s.ClaimsAt.Before(before)
}

// touch records a use; sessions touched by concurrent requests are written
// once. A touch that fails leaves the session valid until its current idle
// expiry: the request still passes.
func (m *Manager) touch(ctx context.Context, s *Session, now time.Time) (*Session, error) {
	v, _, _ := m.flights.Do("u"+s.ID, func() (any, error) {
		t := s.Clone()
		t.LastSeen = ms(now)
		t.IdleExpires = earlier(t.LastSeen.Add(m.cfg.IdleTimeout), t.Expires)
		t.PurgeAt = t.ExpiresAt().Add(m.cfg.Retain)
		if err := m.records.Touch(ctx, t.ID, t.LastSeen, t.IdleExpires, t.PurgeAt); err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil, verifier.Reject(verifier.ReasonSessionRevoked, errUnknown)
			}
			return s, nil
		}
		m.cache.del(tokenKey(t.TokenHash))
		return t, nil
	})
	if v == nil {
		return nil, verifier.Reject(verifier.ReasonSessionRevoked, errUnknown)
	}
	return v.(*Session), nil
}

// dryRun reports whether ctx is an explanation's dry run, in which a use
// of the session is not recorded.
func dryRun(ctx context.Context) bool {
	dry, _ := verifier.DryRunOf(ctx)
	return dry
}

// Identity returns the verified identity of a session.
func (m *Manager) Identity(s *Session) *verifier.Identity { return identity(s) }
