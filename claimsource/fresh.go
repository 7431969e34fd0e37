package claimsource

import (
	"context"
	"errors"
	"fmt"

	"github.com/authgate/authgate/verifier"
)

// DefaultMaxInFlightPerSubject caps the fetches in flight for one subject
// over all its claims, so one user cannot take the slots every user shares.
const DefaultMaxInFlightPerSubject = 8

var errSubjectBusy = errors.New("too many claim fetches in flight for this subject")

// freshCall is one max-age-0 fetch for a key: callers wait on done, then
// read claim and err.
type freshCall struct {
	done  chan struct{}
	claim cachedClaim
	err   error
}

// freshKey holds a key's max-age-0 fetches: the one running, and the next
// one, which every request arriving while one runs joins. A request may
// never take a value from a fetch that started before it arrived, but it
// may share one that starts after: so a key has at most one fetch running
// and one waiting, however many requests come.
type freshKey struct {
	running, next *freshCall
}

// fetchFresh returns a value fetched after this call began (max age 0).
func (r *Refresher) fetchFresh(ctx context.Context, c *claimSource, id *verifier.Identity, key claimKey) (cachedClaim, error) {
	name := key.String()
	r.freshMu.Lock()
	st := r.fresh[name]
	var call *freshCall
	switch {
	case st == nil:
		call = &freshCall{done: make(chan struct{})}
		r.fresh[name] = &freshKey{running: call}
		go r.runFresh(context.WithoutCancel(ctx), c, id, key, call)
	case st.next == nil:
		// The running fetch began before this request: wait for the next.
		st.next = &freshCall{done: make(chan struct{})}
		call = st.next
		go r.afterRunning(context.WithoutCancel(ctx), c, id, key, st.running, st.next)
	default:
		call = st.next
	}
	r.freshMu.Unlock()
	select {
	case <-call.done:
		return call.claim, call.err
	case <-ctx.Done():
		return cachedClaim{}, fmt.Errorf("waiting for claim source: %w", ctx.Err())
	}
}

// afterRunning starts next once the fetch running now is done.
func (r *Refresher) afterRunning(ctx context.Context, c *claimSource, id *verifier.Identity, key claimKey, running, next *freshCall) {
	<-running.done
	r.runFresh(ctx, c, id, key, next)
}

// runFresh makes call's fetch, publishes its result, and hands the key to
// the next fetch (or frees it). It is bounded by the claim's timeout, not
// by any one caller.
func (r *Refresher) runFresh(ctx context.Context, c *claimSource, id *verifier.Identity, key claimKey, call *freshCall) {
	name := key.String()
	r.freshMu.Lock()
	if st := r.fresh[name]; st != nil && st.next == call {
		st.running, st.next = call, nil
	}
	r.freshMu.Unlock()
	func() {
		defer func() {
			if p := recover(); p != nil {
				call.err = fmt.Errorf("claim source panicked: %v", p)
			}
		}()
		call.claim, call.err = r.load(ctx, c, id, key, 0)
	}()
	r.freshMu.Lock()
	if st := r.fresh[name]; st != nil && st.running == call && st.next == nil {
		delete(r.fresh, name)
	}
	r.freshMu.Unlock()
	close(call.done)
}

// subjectSlot takes one of the subject's in-flight fetch slots; the
// returned func gives it back. A subject at its cap fails at once: only
// its own requests wait or fail, never another user's.
func (r *Refresher) subjectSlot(key claimKey) (func(), error) {
	name := key.verifier + "\x00" + key.subject
	r.freshMu.Lock()
	defer r.freshMu.Unlock()
	if r.perSubject[name] >= r.maxPerSubject {
		return nil, errSubjectBusy
	}
	r.perSubject[name]++
	return func() {
		r.freshMu.Lock()
		defer r.freshMu.Unlock()
		if r.perSubject[name]--; r.perSubject[name] <= 0 {
			delete(r.perSubject, name)
		}
	}, nil
}
