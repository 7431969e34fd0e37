package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authgate/authgate/verifier"
)

// Deny deny-lists identity-provider JWTs until d.Until: tokens by jti
// (any issuer), one token by its key, or every token of a subject issued
// before d.At (default: now). Denying a subject also revokes that user's
// sessions; denying a token ends the sessions exchanged from it.
func (m *Manager) Deny(ctx context.Context, d Denial) (revoked int, err error) {
	if set := btoi(d.JTI != "") + btoi(d.Token != "") + btoi(d.Subject != ""); set != 1 {
		return 0, errors.New("denying tokens: exactly one of jti, token and sub is required")
	}
	now := m.cfg.Now()
	if d.At.IsZero() {
		d.At = now
	}
	d.At, d.Until = ms(d.At), ms(d.Until)
	if !d.Until.After(now) {
		return 0, errors.New("denying tokens: until is in the past")
	}
	if err := m.denials.Deny(ctx, d); err != nil {
		return 0, fmt.Errorf("denying tokens: %w", err)
	}
	m.cache.flush()
	if d.Subject == "" {
		m.revoked(denial(d), 0)
		return 0, nil
	}
	n, err := m.revokeUser(ctx, d.Subject)
	if err == nil {
		m.revoked(DeniedSubject, n)
	}
	return n, err
}

// Denied implements verifier.DenyList: it reports whether id's token was
// deny-listed by jti, by its key, or by subject with an iat before the
// revocation. A token without iat cannot be shown to predate a revocation
// of its subject, so it is denied.
func (m *Manager) Denied(ctx context.Context, id *verifier.Identity) (bool, error) {
	st, err := m.denyState(ctx, DenyQuery{JTI: id.TokenID, Token: TokenKey(id), Subject: id.Subject})
	if err != nil {
		return false, err
	}
	if st.JTI || st.Token {
		return true, nil
	}
	return !st.SubjectBefore.IsZero() && (id.IssuedAt.IsZero() || id.IssuedAt.Before(st.SubjectBefore)), nil
}

func (m *Manager) denyState(ctx context.Context, q DenyQuery) (DenyState, error) {
	key := denyKey(q)
	now := m.cfg.Now()
	if e, ok := m.cache.get(key, now); ok {
		return e.deny, nil
	}
	gen := m.cache.generation()
	st, err := m.denials.Denied(ctx, q)
	if err != nil {
		return DenyState{}, verifier.Unavailable(verifier.ReasonStoreUnavailable, err)
	}
	m.cache.set(key, cacheEntry{deny: st}, gen, now, int64(96+len(q.JTI)+len(q.Token)+len(q.Subject)))
	return st, nil
}

// WriteClaim stores a refreshed claim value into the session id came
// from, in SuperTokens form with its fetch time, so every instance sharing
// the store sees it (it implements claimsource.Writer). Identities that
// are not sessions are ignored.
func (m *Manager) WriteClaim(ctx context.Context, id *verifier.Identity, claim string, value any, fetched time.Time) error {
	if id.SessionID == "" {
		return nil
	}
	v := map[string]any{"v": value, "t": fetched.UnixMilli()}
	err := m.SetClaim(ctx, id.SessionID, claim, v)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}
