package session

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// What OIDC logins need beyond minting: a look at a session before logout,
// revocation of the sessions of one provider session (OpenID Back-Channel
// Logout 1.0), and links from a provider's session id to its user, since a
// logout token may carry "sid" without "sub".

// RevokeWhere ends every session of userID, expired or not, for which match
// returns true, and returns how many it ended. Sessions revoked meanwhile
// by someone else are skipped, not counted. On a store failure it returns
// the number ended so far with the error.
func (m *Manager) RevokeWhere(ctx context.Context, userID string, match func(*Session) bool) (int, error) {
	if match == nil {
		return 0, errors.New("revoking sessions: no match function")
	}
	all, err := m.records.ByUser(ctx, userID)
	if err != nil {
		return 0, fmt.Errorf("listing sessions to revoke: %w", err)
	}
	n := 0
	defer func() {
		if n > 0 {
			m.cache.flush()
			m.revoked(RevokedSelected, n)
		}
	}()
	for _, s := range all {
		if !match(s) {
			continue
		}
		_, err := m.records.Delete(ctx, s.ID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("revoking session: %w", err)
		}
		n++
	}
	return n, nil
}

// Link records key → value until the given time (by the store's clock),
// replacing any value and time the key had. Callers namespace their keys
// (e.g. provider name and sid) since every link shares one space.
func (m *Manager) Link(ctx context.Context, key, value string, until time.Time) error {
	if key == "" {
		return errors.New("linking: empty key")
	}
	return m.markers.Link(ctx, key, value, until)
}

// Linked returns the value recorded for key, or ErrNotFound when there is
// none or it lapsed; any other error is a store failure.
func (m *Manager) Linked(ctx context.Context, key string) (string, error) {
	if key == "" {
		return "", ErrNotFound
	}
	return m.markers.Linked(ctx, key)
}
