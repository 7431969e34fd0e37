package session

import "context"

// Pinger is a store that can say whether it answers: a Redis PING, or a
// bolt file that is still open. Readiness checks use it; Ping must honour
// ctx's deadline.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Ping fails with ErrStoreNotOpen while the backend is not bound (waiting
// for it within ctx), then asks the backend when it is a Pinger.
func (d *Deferred) Ping(ctx context.Context) error {
	s, err := d.store(ctx)
	if err != nil {
		return err
	}
	if p, ok := s.(Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}
