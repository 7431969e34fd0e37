package policy

import (
	"context"
	"time"

	"github.com/authgate/authgate/claims"
	"github.com/authgate/authgate/verifier"
)

// Results of one validator in an Explanation.
const (
	ResultPassed = "passed"
	ResultFailed = "failed"
	// ResultUndetermined: the validator's claim would be fetched from its
	// claim source first, and the explanation was told not to fetch.
	ResultUndetermined = "undetermined"
)

// How an explanation got a refreshable claim (ClaimTrace.State).
const (
	// ClaimWouldFetch: the claim is missing or stale and no cached value
	// is young enough: a request would fetch it. Not fetched.
	ClaimWouldFetch = "would_fetch"
	// ClaimCached: a request would be served from the claim source's
	// cache, which the explanation read.
	ClaimCached = "cached"
	// ClaimFetched: refreshed for the explanation (fetch asked for), as a
	// request would be: from the source's cache or the source itself.
	ClaimFetched = "fetched"
)

// ModeEnforce is the mode of a validator whose failure refuses the
// request.
const ModeEnforce = "enforce"

// Explanation is what Explain found: every validator with what it saw,
// the refreshable claims a request would refresh, and the outcome.
type Explanation struct {
	// Identity is the identity a request would forward: refreshed claims
	// included when they were read or fetched. Shared: do not modify.
	Identity *verifier.Identity
	// Validators lists every validator of the policy, in order.
	Validators []ValidatorTrace
	// Claims lists the refreshable claims some validator wanted
	// refreshed, in the policy's order.
	Claims []ClaimTrace
	// Denial lists the validators that failed; nil when none did. It is
	// Soft when only validators in pass mode failed.
	Denial *Denial
	// Undetermined is true when some validator's claim would be fetched
	// (and was not): the outcome then depends on what the source answers.
	Undetermined bool
}

// ValidatorTrace is one validator as an explanation saw it. The value is
// a claim value (personal data, perhaps, never a credential).
type ValidatorTrace struct {
	ID   string
	Op   Op
	Path string // the claim path read
	// Mode is ModeEnforce, or ModePass for a validator in pass mode.
	Mode string
	// ExpectedField and Expected are what the validator wants, as its
	// 403 reason names them.
	ExpectedField string
	Expected      any
	// Value is the claim value seen (plain, SuperTokens wrapping
	// removed), when HasValue.
	Value    any
	HasValue bool
	// Age is how old Value is, when HasAge; MaxAge the oldest value the
	// validator accepts, when HasMaxAge (0: every request).
	Age       time.Duration
	HasAge    bool
	MaxAge    time.Duration
	HasMaxAge bool
	// Source is the top-level claim whose claim source backs the value;
	// "" for none.
	Source string
	// Result is ResultPassed, ResultFailed or ResultUndetermined.
	Result string
	// Reason is why it failed (the 403 body's reason); nil otherwise.
	Reason *Reason
}

// ClaimTrace is one refreshable claim some validator wanted refreshed.
type ClaimTrace struct {
	Claim string
	// MaxAge is the strictest max age asked for, when HasMaxAge (none:
	// any cached value would do).
	MaxAge    time.Duration
	HasMaxAge bool
	// State is ClaimWouldFetch, ClaimCached or ClaimFetched.
	State string
}

// Peeker is a Refresher that can tell, without fetching or changing
// anything, the value Refresh would answer from its cache for a max age
// (NoMaxAge: the claim's own), and when that value was fetched. ok is
// false when Refresh would fetch.
type Peeker interface {
	Peek(id *verifier.Identity, claim string, maxAge time.Duration) (value any, fetched time.Time, ok bool)
}

// claimState is how an explanation got one refreshable claim.
type claimState struct {
	state string    // a Claim… constant; "" when not wanted
	at    time.Time // when the value used was fetched
}

// Explain evaluates the policy for id as Evaluate does, recording what
// each validator saw, and changes nothing: ctx is made a dry run
// (verifier.WithDryRun), so refreshed claims are neither cached nor
// written back. A claim a request would refresh is read from the
// refresher's cache when it is a Peeker holding a young enough value;
// else, with fetch, it is fetched as Evaluate would (err is then
// Evaluate's refresh error), and without fetch its validators are
// undetermined and nothing is called. Evaluate's request path is
// untouched by it.
func (p *Policy) Explain(ctx context.Context, id *verifier.Identity, fetch bool) (*Explanation, error) {
	x := &Explanation{Identity: id}
	if p == nil || len(p.validators) == 0 {
		return x, nil
	}
	ctx = verifier.WithDryRun(ctx, fetch)
	e := evaluation{p: p, now: p.now(), claims: id.Claims, iat: id.IssuedAt, trusted: id.ClaimTimesTrusted,
		slots: make([]slotState, len(p.sources))}
	states := make([]claimState, len(p.sources))
	if len(p.sources) > 0 {
		var err error
		if x.Identity, err = e.explainRefresh(ctx, id, fetch, states); err != nil {
			return nil, err
		}
		x.Claims = e.claimTraces(states)
	}
	hard := false
	for i, v := range p.validators {
		t := e.trace(i, v, states)
		if p.passes(i) {
			t.Mode = ModePass
		}
		x.Undetermined = x.Undetermined || t.Result == ResultUndetermined
		if t.Reason != nil {
			if x.Denial == nil {
				x.Denial = &Denial{}
			}
			x.Denial.Failures = append(x.Denial.Failures, Failure{ID: v.id, Reason: *t.Reason})
			hard = hard || !p.passes(i)
		}
		x.Validators = append(x.Validators, t)
	}
	if x.Denial != nil {
		x.Denial.soft = !hard
	}
	return x, nil
}

// explainRefresh gets every claim a request would refresh: from the
// refresher's cache when it can, else fetched (with fetch) or left
// pending (without). It records how in states.
func (e *evaluation) explainRefresh(ctx context.Context, id *verifier.Identity, fetch bool, states []claimState) (*verifier.Identity, error) {
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
		src := e.p.sources[i]
		value, fetched, ok := peek(src.refresher, id, src.claim, st.maxAge)
		switch {
		case ok:
			states[i] = claimState{state: ClaimCached, at: fetched}
		case fetch:
			v, _, err := src.fetch(ctx, id, st.maxAge, time.Time{})
			if err != nil {
				return nil, err
			}
			value, states[i] = v, claimState{state: ClaimFetched, at: e.now}
		default:
			states[i].state = ClaimWouldFetch
			continue
		}
		if out == id {
			out = id.Clone()
			e.claims = out.Claims
		}
		value, _, _ = claims.Unwrap(value)
		out.Claims[src.claim] = value
		st.refreshed = true
	}
	return out, nil
}

// peek asks r's cache, if r is a Peeker.
func peek(r Refresher, id *verifier.Identity, claim string, maxAge time.Duration) (any, time.Time, bool) {
	p, ok := r.(Peeker)
	if !ok {
		return nil, time.Time{}, false
	}
	return p.Peek(id, claim, maxAge)
}

// claimTraces lists the wanted refreshable claims.
func (e *evaluation) claimTraces(states []claimState) []ClaimTrace {
	var out []ClaimTrace
	for i, st := range e.slots {
		if !st.wanted {
			continue
		}
		out = append(out, ClaimTrace{Claim: e.p.sources[i].claim, MaxAge: st.maxAge,
			HasMaxAge: st.maxAge != NoMaxAge, State: states[i].state})
	}
	return out
}

// trace runs validator i as validate does and records what it saw.
func (e *evaluation) trace(i int, v *validator, states []claimState) ValidatorTrace {
	t := ValidatorTrace{ID: v.id, Op: v.op, Path: v.path, Mode: ModeEnforce, ExpectedField: v.field,
		Expected: v.expected, MaxAge: v.maxAge, HasMaxAge: v.hasMaxAge, Source: v.source}
	s := e.p.slots[i]
	if raw, ok := claims.Lookup(e.claims, v.path); ok {
		t.Value, _, _ = claims.Unwrap(raw)
		t.HasValue = true
		t.Age, t.HasAge = e.age(raw)
		if s >= 0 && e.slots[s].refreshed {
			t.Age, t.HasAge = max(e.now.Sub(states[s].at), 0), true
		}
	}
	if s >= 0 && states[s].state == ClaimWouldFetch {
		t.Result = ResultUndetermined
		return t
	}
	verdict, value := e.check(i, v)
	if verdict == passed {
		t.Result = ResultPassed
		return t
	}
	t.Result = ResultFailed
	r := e.reason(v, verdict, value)
	t.Reason = &r
	return t
}
