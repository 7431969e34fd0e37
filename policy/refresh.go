package policy

import (
	"context"
	"time"

	"github.com/authgate/authgate/verifier"
)

// NoMaxAge is the max age that means "no freshness requirement". A
// Refresher's Source returns it for a claim without a default max age, and
// Refresh receives it when a validator only needs some value (the claim was
// missing and no max age applies), so any cached value will do.
const NoMaxAge time.Duration = -1

// Refresher fetches current claim values from the claim sources configured
// for them (SPEC section 3). Evaluate calls it, SuperTokens style, for every
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
// returns id, or a copy of it holding the refreshed claims.
func (e *evaluation) refetch(ctx context.Context, id *verifier.Identity) (*verifier.Identity, error) {
	for i, v := range e.p.validators {
		if s := e.p.slots[i]; s >= 0 && e.shouldRefetch(v) {
			e.slots[s].want(v.acceptedAge())
		}
	}
	out := id
	for i := range e.slots {
		st := &e.slots[i]
		if !st.wanted {
			continue
		}
		value, err := e.p.sources[i].fetch(ctx, id, st.maxAge)
		if err != nil {
			return nil, err
		}
		if out == id {
			out = id.Clone()
			e.claims = out.Claims
		}
		out.Claims[e.p.sources[i].claim] = value
		st.refreshed = true
	}
	return out, nil
}

// shouldRefetch reports whether v's value is missing, or stale for v's max
// age (max age 0: always).
func (e *evaluation) shouldRefetch(v *validator) bool {
	raw, ok := Lookup(e.claims, v.path)
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
func (s source) fetch(ctx context.Context, id *verifier.Identity, maxAge time.Duration) (any, error) {
	value, _, err := s.refresher.Refresh(ctx, id, s.claim, maxAge)
	if err != nil {
		return nil, &RefreshError{Claim: s.claim, Err: err}
	}
	value, _, _ = Unwrap(value)
	return value, nil
}

// ClaimWriter stores a refreshed claim value back into the gateway session
// an identity came from (identities with a SessionID), so that every
// gateway instance sharing the session store sees it (SPEC section 3). The
// refresher calls it after a successful fetch; a write failure does not
// fail the request, since the value was fetched and is fresh.
type ClaimWriter interface {
	WriteClaim(ctx context.Context, id *verifier.Identity, claim string, value any, fetched time.Time) error
}
