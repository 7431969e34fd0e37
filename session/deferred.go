package session

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authgate/authgate/verifier"
)

// ErrStoreNotOpen is what a Deferred store answers before its backend is
// bound. Callers treat it like any store failure: the request is answered
// 503 store_unavailable.
var ErrStoreNotOpen = errors.New("session store is not open yet")

// Deferred is a Store whose backend is bound after it is built, so that a
// Manager (and everything holding it) can be built before the backend is
// opened: a configuration can then be checked without taking a file lock
// or connecting to a server. Until Bind, every call fails with
// ErrStoreNotOpen, after waiting up to Wait for it. Bind may be called
// once; later calls are ignored. Closing a Deferred does not close its
// backend, which may be shared.
type Deferred struct {
	// Wait is how long a call made before Bind waits for it (bounded also
	// by the call's context), so that requests arriving while the backend
	// is being opened are served. Zero: fail at once.
	Wait time.Duration

	backend atomic.Pointer[bound]

	mu       sync.Mutex
	ready    chan struct{} // closed by Bind
	watchers []watch       // Watch calls made before Bind
}

type bound struct{ Store }

type watch struct {
	ctx context.Context
	fn  func(Event)
}

// Bind sets the backend. Watch calls made earlier are passed on to it when
// it is a Watcher. It reports whether s was bound (false: already bound).
func (d *Deferred) Bind(s Store) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.backend.CompareAndSwap(nil, &bound{s}) {
		return false
	}
	close(d.readyLocked())
	if w, ok := s.(Watcher); ok {
		for _, x := range d.watchers {
			w.Watch(x.ctx, x.fn)
		}
	}
	d.watchers = nil
	return true
}

// Bound reports whether the backend is bound.
func (d *Deferred) Bound() bool { return d.backend.Load() != nil }

func (d *Deferred) readyLocked() chan struct{} {
	if d.ready == nil {
		d.ready = make(chan struct{})
	}
	return d.ready
}

// store returns the backend, waiting up to d.Wait for Bind.
func (d *Deferred) store(ctx context.Context) (Store, error) {
	if b := d.backend.Load(); b != nil {
		return b.Store, nil
	}
	if dry, _ := verifier.DryRunOf(ctx); d.Wait <= 0 || dry {
		// A dry run (an explanation) does not wait for a store that may
		// never open: offline, a bolt store stays closed.
		return nil, ErrStoreNotOpen
	}
	d.mu.Lock()
	ready := d.readyLocked()
	d.mu.Unlock()
	t := time.NewTimer(d.Wait)
	defer t.Stop()
	select {
	case <-ready:
		return d.backend.Load().Store, nil
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, ErrStoreNotOpen
}

// Watch passes fn on to the backend once it is bound, if the backend is a
// Watcher; otherwise fn is never called.
func (d *Deferred) Watch(ctx context.Context, fn func(Event)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if b := d.backend.Load(); b != nil {
		if w, ok := b.Store.(Watcher); ok {
			w.Watch(ctx, fn)
		}
		return
	}
	d.watchers = append(d.watchers, watch{ctx, fn})
}

// LostAt is the backend's loss report (zero before Bind, or when the
// backend cannot tell).
func (d *Deferred) LostAt() time.Time {
	if b := d.backend.Load(); b != nil {
		if l, ok := b.Store.(LossReporter); ok {
			return l.LostAt()
		}
	}
	return time.Time{}
}

// Close does nothing: the backend belongs to whoever opened it.
func (d *Deferred) Close() error { return nil }

// Create implements Records.
func (d *Deferred) Create(ctx context.Context, s *Session) error {
	st, err := d.store(ctx)
	if err != nil {
		return err
	}
	return st.Create(ctx, s)
}

// ByToken implements Records.
func (d *Deferred) ByToken(ctx context.Context, h Hash) (*Session, error) {
	st, err := d.store(ctx)
	if err != nil {
		return nil, err
	}
	return st.ByToken(ctx, h)
}

// ByID implements Records.
func (d *Deferred) ByID(ctx context.Context, id string) (*Session, error) {
	st, err := d.store(ctx)
	if err != nil {
		return nil, err
	}
	return st.ByID(ctx, id)
}

// ByUser implements Records.
func (d *Deferred) ByUser(ctx context.Context, userID string) ([]*Session, error) {
	st, err := d.store(ctx)
	if err != nil {
		return nil, err
	}
	return st.ByUser(ctx, userID)
}

// Touch implements Records.
func (d *Deferred) Touch(ctx context.Context, id string, lastSeen, idleExpires, purgeAt time.Time) error {
	st, err := d.store(ctx)
	if err != nil {
		return err
	}
	return st.Touch(ctx, id, lastSeen, idleExpires, purgeAt)
}

// SetClaim implements Records.
func (d *Deferred) SetClaim(ctx context.Context, id, name string, value any) error {
	st, err := d.store(ctx)
	if err != nil {
		return err
	}
	return st.SetClaim(ctx, id, name, value)
}

// DeleteClaim implements Records.
func (d *Deferred) DeleteClaim(ctx context.Context, id, name string) error {
	st, err := d.store(ctx)
	if err != nil {
		return err
	}
	return st.DeleteClaim(ctx, id, name)
}

// Delete implements Records.
func (d *Deferred) Delete(ctx context.Context, id string) (*Session, error) {
	st, err := d.store(ctx)
	if err != nil {
		return nil, err
	}
	return st.Delete(ctx, id)
}

// DeleteUser implements Records.
func (d *Deferred) DeleteUser(ctx context.Context, userID string) ([]*Session, error) {
	st, err := d.store(ctx)
	if err != nil {
		return nil, err
	}
	return st.DeleteUser(ctx, userID)
}

// Deny implements DenyStore.
func (d *Deferred) Deny(ctx context.Context, x Denial) error {
	st, err := d.store(ctx)
	if err != nil {
		return err
	}
	return st.Deny(ctx, x)
}

// Denied implements DenyStore.
func (d *Deferred) Denied(ctx context.Context, q DenyQuery) (DenyState, error) {
	st, err := d.store(ctx)
	if err != nil {
		return DenyState{}, err
	}
	return st.Denied(ctx, q)
}

// Once implements Markers.
func (d *Deferred) Once(ctx context.Context, key string, until time.Time) (bool, error) {
	st, err := d.store(ctx)
	if err != nil {
		return false, err
	}
	return st.Once(ctx, key, until)
}

// Link implements Markers.
func (d *Deferred) Link(ctx context.Context, key, value string, until time.Time) error {
	st, err := d.store(ctx)
	if err != nil {
		return err
	}
	return st.Link(ctx, key, value, until)
}

// Linked implements Markers.
func (d *Deferred) Linked(ctx context.Context, key string) (string, error) {
	st, err := d.store(ctx)
	if err != nil {
		return "", err
	}
	return st.Linked(ctx, key)
}

// Interface guards
var (
	_ Store        = (*Deferred)(nil)
	_ Watcher      = (*Deferred)(nil)
	_ LossReporter = (*Deferred)(nil)
)
