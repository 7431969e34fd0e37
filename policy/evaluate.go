package policy

import (
	"context"
	"time"

	"github.com/authgate/authgate/claims"
	"github.com/authgate/authgate/verifier"
)

// Evaluate checks id against the policy the way SuperTokens validates
// session claims: first every validator's shouldRefetch (the value is
// missing, or older than the validator's max age, and a claim source backs
// it), each claim refreshed at most once, then every validator's check.
//
// It returns the identity to forward: id itself when nothing was refreshed,
// else a copy whose refreshed top-level claims hold the plain refreshed
// values, so headers and placeholders show them. Like id, the copy may be
// shared (claimsource's refresher hands the same copy to every request for id
// while its cached value lasts) and must not be modified. A failed policy
// yields a *Denial listing every failing validator in order. err is non-nil
// only for a technical failure: a claim source failed with no usable
// value. It is a *RefreshError matching ErrRefreshUnavailable; the caller
// answers 503 and never lets the request pass. id must not be nil.
//
// When nothing fails and nothing is refreshed, Evaluate does not allocate.
// Neither does refreshing one claim from a MemoRefresher's cache for an id
// already seen with that cached value, but for the cache's occasional
// bookkeeping.
func (p *Policy) Evaluate(ctx context.Context, id *verifier.Identity) (*verifier.Identity, *Denial, error) {
	if p == nil || len(p.validators) == 0 {
		return id, nil, nil
	}
	now := p.now()
	e := evaluation{p: p, now: now, claims: id.Claims, iat: id.IssuedAt, trusted: id.ClaimTimesTrusted}
	if n := len(p.sources); n > 0 {
		var buf [8]slotState
		if n > len(buf) {
			e.slots = make([]slotState, n)
		} else {
			e.slots = buf[:n]
		}
		var err error
		// now goes to the refresher apart from e: handing it e.now would
		// let e's contents, slots included, escape to the heap.
		if id, err = e.refetch(ctx, id, now); err != nil {
			return nil, nil, err
		}
	}
	return id, e.validate(), nil
}

// evaluation is the state of one Evaluate call. It holds the identity's
// fields rather than the identity itself: the identity is handed to the
// Refresher, and keeping it out of this struct keeps slots on the stack.
type evaluation struct {
	p       *Policy
	now     time.Time
	claims  map[string]any // the identity's claims, refreshed ones included
	iat     time.Time
	trusted bool // the identity's ClaimTimesTrusted
	slots   []slotState
}

// age returns how old the claim value raw is, and false when that is
// unknown, measured from claims.FetchedAt: a value never looks fresher than
// the token carrying it.
func (e *evaluation) age(raw any) (time.Duration, bool) {
	from, ok := e.fetchedAt(raw)
	if !ok {
		return 0, false
	}
	return max(e.now.Sub(from), 0), true
}

func (e *evaluation) fetchedAt(raw any) (time.Time, bool) {
	return claims.FetchedAt(raw, e.iat, e.trusted, e.now)
}

// acceptedAge is the oldest value v accepts, or NoMaxAge for any.
func (v *validator) acceptedAge() time.Duration {
	if v.hasMaxAge {
		return v.maxAge
	}
	return NoMaxAge
}
