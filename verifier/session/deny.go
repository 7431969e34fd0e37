package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authgate/authgate/verifier"
)

// Deny deny-lists identity-provider JWTs until d.Until: one token by jti,
// or every token of a subject issued before d.At (default: now). Denying a
// subject also revokes that user's sessions.
func (m *Manager) Deny(ctx context.Context, d Denial) (revoked int, err error) {
	if (d.JTI == "") == (d.Subject == "") {
		return 0, errors.New("denying tokens: exactly one of jti and sub is required")
	}
	now := m.cfg.Now()
	if d.At.IsZero() {
		d.At = now
	}
	d.At, d.Until = ms(d.At), ms(d.Until)
	if !d.Until.After(now) {
		return 0, errors.New("denying tokens: until is in the past")
	}
	if err := m.store.Deny(ctx, d); err != nil {
		return 0, fmt.Errorf("denying tokens: %w", err)
	}
	m.cache.flush()
	if d.Subject == "" {
		return 0, nil
	}
	return m.RevokeUser(ctx, d.Subject)
}

// Denied implements verifier.DenyList: it reports whether id's token was
// deny-listed by jti, or by subject with an iat before the revocation. A
// token without iat cannot be shown to predate a revocation of its
// subject, so it is denied.
func (m *Manager) Denied(ctx context.Context, id *verifier.Identity) (bool, error) {
	st, err := m.denyState(ctx, id.TokenID, id.Subject)
	if err != nil {
		return false, err
	}
	if st.JTI {
		return true, nil
	}
	return !st.SubjectBefore.IsZero() && (id.IssuedAt.IsZero() || id.IssuedAt.Before(st.SubjectBefore)), nil
}

func (m *Manager) denyState(ctx context.Context, jti, subject string) (DenyState, error) {
	key := denyKey(jti, subject)
	now := m.cfg.Now()
	if e, ok := m.cache.get(key, now); ok {
		return e.deny, nil
	}
	gen := m.cache.generation()
	st, err := m.store.Denied(ctx, jti, subject)
	if err != nil {
		return DenyState{}, verifier.Unavailable(verifier.ReasonStoreUnavailable, err)
	}
	m.cache.set(key, cacheEntry{deny: st}, gen, now, int64(96+len(jti)+len(subject)))
	return st, nil
}

// WriteClaim stores a refreshed claim value into the session id came
// from, in SuperTokens form with its fetch time, so every instance sharing
// the store sees it (it implements policy.ClaimWriter). Identities that
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
