package session

import (
	"context"
	"time"
)

// LossReporter is implemented by stores that can find out that their
// backend lost data (a Redis restarted empty): LostAt is when the latest
// loss was found, zero when none was.
type LossReporter interface {
	LostAt() time.Time
}

// LostAt returns when the store last reported losing its data (zero:
// never, or a store that cannot tell).
func (m *Manager) LostAt() time.Time {
	if m.loss == nil {
		return time.Time{}
	}
	return m.loss.LostAt()
}

// UseIssued is Use for a credential issued at issued. After the store lost
// its data, the one-time markers recorded before the loss are gone: a
// credential issued before the loss was found may have been used already,
// so it is refused as used (false). The store finds a loss at the latest
// inside the Use call, so the check after it sees it.
func (m *Manager) UseIssued(ctx context.Context, key string, issued, until time.Time) (bool, error) {
	first, err := m.Use(ctx, key, until)
	if err != nil || !first {
		return first, err
	}
	lost := m.LostAt()
	return lost.IsZero() || issued.After(lost), nil
}
