package session

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// maxFactors bounds the factors a session record keeps, so that repeated
// attestations cannot grow it without bound.
const maxFactors = 16

// Attestation is a token of a session's own subject, exchanged while the
// session is live (Stytch's attest): one more authentication of the same
// user. It adds a factor and its methods, never claims.
type Attestation struct {
	// Verifier names the verifier whose token was exchanged.
	Verifier string
	// AMR is the token's "amr" claim (see AMRFrom).
	AMR []string
	// NotAfter, when not zero, is the latest the session may now end (see
	// NewSession.NotAfter).
	NotAfter time.Time
	// TTL, when positive, ends the session no later than this from now.
	TTL time.Duration
}

// Attest adds an authentication to the live session old and rotates its
// token, so that a token planted before the authentication is worth
// nothing after it (no fixation). It stores a copy of old under a new
// token and a new id, with a factor for a appended and a's methods added
// to the "amr" claim; every other claim, the origin (Verifier, Provider),
// the host binding, the source token and Created stay as they were, so
// an attestation never widens where the session is accepted, nor revives
// it after a subject revocation. The expiry may only move earlier. Then it
// deletes old: its token stops working. If old was revoked meanwhile, the
// copy is deleted too and the error is ErrNotFound. The caller checks
// that the attested token is old's subject's.
func (m *Manager) Attest(ctx context.Context, old *Session, a Attestation) (string, *Session, error) {
	now := ms(m.cfg.Now())
	tok, h := NewToken()
	s := old.Clone()
	s.ID, s.TokenHash, s.LastSeen = newID(), h, now
	s.Factors = append(slices.Clone(old.AuthFactors()), Factor{Verifier: a.Verifier, AMR: slices.Clone(a.AMR), At: now})
	if n := len(s.Factors); n > maxFactors {
		// The first factor made the session: keep it, and the latest.
		s.Factors = append(s.Factors[:1], s.Factors[n-maxFactors+1:]...)
	}
	if len(a.AMR) > 0 {
		s.Claims = maps.Clone(s.Claims)
		if s.Claims == nil {
			s.Claims = map[string]any{}
		}
		s.Claims["amr"] = withMethods(s.Claims, a.AMR)
	}
	if !a.NotAfter.IsZero() {
		s.Expires = earlier(s.Expires, ms(a.NotAfter))
	}
	if a.TTL > 0 {
		s.Expires = earlier(s.Expires, now.Add(a.TTL))
	}
	s.IdleExpires = earlier(now.Add(m.cfg.IdleTimeout), s.Expires)
	s.PurgeAt = s.ExpiresAt().Add(m.cfg.Retain)
	if err := m.records.Create(ctx, s); err != nil {
		return "", nil, fmt.Errorf("attesting session: %w", err)
	}
	_, err := m.records.Delete(ctx, old.ID)
	if err != nil {
		// Revoked (or failing) meanwhile: the copy must not outlive it.
		if _, derr := m.records.Delete(ctx, s.ID); derr != nil && !errors.Is(derr, ErrNotFound) {
			err = errors.Join(err, derr)
		}
	}
	m.cache.flush()
	if err != nil {
		return "", nil, fmt.Errorf("attesting session: %w", err)
	}
	return tok, s, nil
}

// withMethods returns the session's "amr" claim with the methods add
// appended, each once, as a JSON array.
func withMethods(claims map[string]any, add []string) []any {
	var out []any
	for _, m := range append(AMRFrom(claims), add...) {
		if !slices.Contains(out, any(m)) {
			out = append(out, m)
		}
	}
	return out
}
