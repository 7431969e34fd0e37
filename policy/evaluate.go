package policy

import (
	"context"
	"time"

	"github.com/authgate/authgate/verifier"
)

// Evaluate checks id against the policy the way SuperTokens validates
// session claims: first every validator's shouldRefetch (the value is
// missing, or older than the validator's max age, and a claim source backs
// it), each claim refreshed at most once, then every validator's check.
//
// It returns the identity to forward: id itself when nothing was refreshed,
// else a copy whose refreshed top-level claims hold the plain refreshed
// values, so headers and placeholders show them. A failed policy yields a
// *Denial listing every failing validator in order. err is non-nil only for
// a technical failure: a claim source failed with no usable value. It is a
// *RefreshError matching ErrRefreshUnavailable; the caller answers 503 and
// never lets the request pass. id must not be nil.
//
// When nothing fails and nothing is refreshed, Evaluate does not allocate.
func (p *Policy) Evaluate(ctx context.Context, id *verifier.Identity) (*verifier.Identity, *Denial, error) {
	if p == nil || len(p.validators) == 0 {
		return id, nil, nil
	}
	var buf [8]slotState
	e := evaluation{p: p, id: id, now: p.now(), slots: buf[:0]}
	if n := len(p.sources); n > 0 {
		if n > len(buf) {
			e.slots = make([]slotState, n)
		} else {
			e.slots = buf[:n]
		}
		if err := e.refetch(ctx); err != nil {
			return nil, nil, err
		}
	}
	return e.id, e.validate(), nil
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

// evaluation is the state of one Evaluate call.
type evaluation struct {
	p      *Policy
	id     *verifier.Identity // becomes a copy once a claim is refreshed
	now    time.Time
	slots  []slotState
	copied bool // id is this evaluation's own copy
}

// refetch runs every validator's shouldRefetch, then refreshes each wanted
// claim once, with the strictest max age any validator asked for.
func (e *evaluation) refetch(ctx context.Context) error {
	for i, v := range e.p.validators {
		if s := e.p.slots[i]; s >= 0 && e.shouldRefetch(v) {
			e.slots[s].want(v.acceptedAge())
		}
	}
	for i := range e.slots {
		if err := e.refresh(ctx, i); err != nil {
			return err
		}
	}
	return nil
}

// shouldRefetch reports whether v's value is missing, or stale for v's max
// age (max age 0: always).
func (e *evaluation) shouldRefetch(v *validator) bool {
	raw, ok := Lookup(e.id.Claims, v.path)
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

// refresh fetches slot i's claim if a validator wanted it, and puts the plain
// value into a copy of the identity.
func (e *evaluation) refresh(ctx context.Context, i int) error {
	st := &e.slots[i]
	if !st.wanted {
		return nil
	}
	src := e.p.sources[i]
	value, _, err := src.refresher.Refresh(ctx, e.id, src.claim, st.maxAge)
	if err != nil {
		return &RefreshError{Claim: src.claim, Err: err}
	}
	value, _, _ = Unwrap(value)
	if !e.copied {
		e.id, e.copied = e.id.Clone(), true
	}
	e.id.Claims[src.claim] = value
	st.refreshed = true
	return nil
}

// age returns how old the claim value raw is, and false when that is
// unknown. A SuperTokens-shaped value carries its fetch time t. Unless the
// gateway wrote t itself (ClaimTimesTrusted), the age is measured from the
// earlier of t and the token's IssuedAt, and a t in the future counts as
// IssuedAt: a value never looks fresher than the token carrying it (SPEC
// section 8). A plain value is as old as IssuedAt.
func (e *evaluation) age(raw any) (time.Duration, bool) {
	from, ok := e.fetchedAt(raw)
	if !ok {
		return 0, false
	}
	return max(e.now.Sub(from), 0), true
}

func (e *evaluation) fetchedAt(raw any) (time.Time, bool) {
	iat := e.id.IssuedAt
	_, t, shaped := Unwrap(raw)
	switch {
	case !shaped:
		return iat, !iat.IsZero()
	case e.id.ClaimTimesTrusted:
		return t, true
	}
	if t.After(e.now) {
		t = iat
	}
	if t.IsZero() || !iat.IsZero() && iat.Before(t) {
		t = iat
	}
	return t, !t.IsZero()
}

// acceptedAge is the oldest value v accepts, or NoMaxAge for any.
func (v *validator) acceptedAge() time.Duration {
	if v.hasMaxAge {
		return v.maxAge
	}
	return NoMaxAge
}
