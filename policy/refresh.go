package policy

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/authgate/authgate/claims"
	"github.com/authgate/authgate/verifier"
)

// NoMaxAge is the max age that means "no freshness requirement". A
// Refresher's Source returns it for a claim without a default max age, and
// Refresh receives it when a validator only needs some value (the claim was
// missing and no max age applies), so any cached value will do.
const NoMaxAge time.Duration = -1

// Refresher fetches current claim values from the claim sources configured
// for them (package claimsource implements it). Evaluate calls it, SuperTokens style, for every
// validator whose value is missing or older than its max age, before any
// validator runs. Implementations must be safe for concurrent use.
type Refresher interface {
	// Source reports whether path is backed by a claim source, the
	// top-level claim name that source refreshes, and the source's default
	// max age, used by validators that set none (NoMaxAge for none; 0
	// means every request). Compile calls it once per validator. All paths
	// inside one top-level claim should give the same answer.
	Source(path string) (claim string, defaultMaxAge time.Duration, ok bool)
	// Refresh returns the current value of claim for id's (Verifier,
	// Subject), as a plain decoded JSON value, and when it was obtained.
	// The implementation may answer from a cache holding a value no older
	// than maxAge (NoMaxAge: any age; 0: fetch now), and may return an older
	// value when its source fails within a configured grace
	// (stale_if_error): Evaluate treats whatever Refresh returns as fresh
	// for this request. An error means no usable value exists; Evaluate
	// then fails closed with a *RefreshError.
	Refresh(ctx context.Context, id *verifier.Identity, claim string, maxAge time.Duration) (value any, fetched time.Time, err error)
}

// slotState tracks one refreshable claim during an Evaluate.
type slotState struct {
	wanted    bool          // some validator needs a refetch
	maxAge    time.Duration // the strictest max age among them
	refreshed bool          // refreshed in this Evaluate: fresh for all
}

// want records that a validator accepting values up to maxAge (NoMaxAge:
// any) needs the claim refetched; the strictest request wins.
func (s *slotState) want(maxAge time.Duration) {
	if !s.wanted || s.maxAge == NoMaxAge || maxAge != NoMaxAge && maxAge < s.maxAge {
		s.maxAge = maxAge
	}
	s.wanted = true
}

// refetch runs every validator's shouldRefetch, then refreshes each wanted
// claim once, with the strictest max age any validator asked for. It
// returns id, or a copy of it holding the refreshed claims. When a single
// claim is refreshed from a cached value that this id already got a copy
// for, that copy is returned again rather than cloning id once more. now
// is e.now, passed on to the refresher.
func (e *evaluation) refetch(ctx context.Context, id *verifier.Identity, now time.Time) (*verifier.Identity, error) {
	wanted := 0
	for i, v := range e.p.validators {
		if s := e.p.slots[i]; s >= 0 && e.shouldRefetch(v) {
			if !e.slots[s].wanted {
				wanted++
			}
			e.slots[s].want(v.acceptedAge())
		}
	}
	if !e.p.systemClock {
		now = time.Time{}
	}
	out := id
	for i := range e.slots {
		st := &e.slots[i]
		if !st.wanted {
			continue
		}
		src := e.p.sources[i]
		value, memo, err := src.fetch(ctx, id, st.maxAge, now)
		if err != nil {
			return nil, err
		}
		st.refreshed = true
		if wanted == 1 && memo != nil {
			out = memo.derive(id, src.claim, value)
			e.claims = out.Claims
			continue
		}
		if out == id {
			out = id.Clone()
			e.claims = out.Claims
		}
		out.Claims[src.claim] = value
	}
	return out, nil
}

// shouldRefetch reports whether v's value is missing, or stale for v's max
// age (max age 0: always).
func (e *evaluation) shouldRefetch(v *validator) bool {
	raw, ok := claims.Lookup(e.claims, v.path)
	if !ok {
		return true
	}
	if !v.hasMaxAge {
		return false
	}
	if v.maxAge == 0 {
		return true
	}
	age, known := e.age(raw)
	return !known || age > v.maxAge
}

// fetch asks the refresher for the claim's current plain value. Whatever it
// returns is fresh for this request (it owns caching and stale_if_error).
// A refresher with the cheap hit path also gets now, Evaluate's reading of
// the system clock (zero: Evaluate has its own clock), and may return the
// memo of the cached value it answered from.
func (s source) fetch(ctx context.Context, id *verifier.Identity, maxAge time.Duration, now time.Time) (any, *Memo, error) {
	var (
		value any
		memo  *Memo
		err   error
	)
	if s.memo != nil {
		value, memo, err = s.memo.RefreshMemo(ctx, id, s.claim, maxAge, now)
	} else {
		value, _, err = s.refresher.Refresh(ctx, id, s.claim, maxAge)
	}
	if err != nil {
		return nil, nil, &RefreshError{Claim: s.claim, Err: err}
	}
	value, _, _ = claims.Unwrap(value)
	return value, memo, nil
}

// MemoRefresher is a Refresher with a cheap hit path (claimsource's
// refresher has one). RefreshMemo is Refresh with the caller's reading of
// the system clock (zero: none; the refresher uses it only when it runs on
// the system clock too) that, on a cache hit, also returns the cached
// value's Memo (else nil). Evaluate uses it when the Refresher offers it.
type MemoRefresher interface {
	Refresher
	RefreshMemo(ctx context.Context, id *verifier.Identity, claim string, maxAge time.Duration, now time.Time) (any, *Memo, error)
}

// Memo belongs to one cached claim value of a MemoRefresher: it remembers
// the last identity Evaluate derived from it, so requests with the same
// identity (the identity cache hands out one pointer per token) reuse that
// copy instead of cloning. A new value must get a new Memo, so a memo never
// serves an old value; the zero Memo is ready to use. Lock-free: concurrent
// requests at worst clone again. It pins at most one identity and its copy,
// for the life of the value it belongs to.
type Memo struct{ last atomic.Pointer[derived] }

// derived is base with one claim replaced. It keeps base alive, so a later
// identity can never reuse base's address while the memo holds it.
type derived struct{ base, out *verifier.Identity }

// derive returns base with claim set to value, the value of m's entry.
// Neither base nor the returned identity may be mutated: both are shared.
func (m *Memo) derive(base *verifier.Identity, claim string, value any) *verifier.Identity {
	if d := m.last.Load(); d != nil && d.base == base {
		return d.out
	}
	out := base.Clone()
	out.Claims[claim] = value
	m.last.Store(&derived{base: base, out: out})
	return out
}
