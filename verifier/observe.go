package verifier

import (
	"context"
	"errors"
	"time"
)

// Observer receives what verification does, for metrics and logs. Every
// value it is given comes from configuration or from the fixed codes of
// this package, never from a credential: verifier names are configured
// names, reasons are Reason codes. Methods are called on the request path,
// possibly from many goroutines at once, and must be quick and safe for
// concurrent use. A nil Observer reports nothing and costs nothing.
type Observer interface {
	// Verified reports one credential checked by a Cached verifier, an
	// IntrospectVerifier or another verifier with a cache (edge sessions):
	// the verifier that vouched for it (empty when it was refused, except
	// for a revoked token), ReportedReason of the outcome, whether the
	// verifier's cache answered, and how long it took. A credential a
	// verifier passes on to the next (ErrNotResponsible) is reported too.
	Verified(verifier string, reason Reason, cache CacheResult, elapsed time.Duration)
	// IdentityCacheEvicted reports an identity the cache dropped to make
	// room for another (expired entries are not evictions).
	IdentityCacheEvicted()
	// KeysRefreshed reports one fetch of a remote key set (the first load,
	// a background refresh or an unknown-kid refresh) and, when it
	// succeeded, how many usable keys the set now holds.
	KeysRefreshed(result RefreshResult, keys int)
	// Introspected reports one call of an introspection verifier, or one
	// turned away by its limits before it was made.
	Introspected(verifier string, result CallResult, elapsed time.Duration)
}

// Reasons given to an Observer besides the refusal codes.
const (
	// ReasonOK is the reason of a credential that verified.
	ReasonOK Reason = "ok"
	// ReasonInternal is the reason of an error that carries no Reason (a
	// fault callers treat as unavailable).
	ReasonInternal Reason = "internal_error"
)

// CacheResult says whether a cache answered.
type CacheResult string

// Cache results.
const (
	CacheHit  CacheResult = "hit"
	CacheMiss CacheResult = "miss"
)

// RefreshResult is the outcome of fetching a remote key set.
type RefreshResult string

// Refresh results.
const (
	// RefreshOK: the set was fetched and replaced the keys held.
	RefreshOK RefreshResult = "ok"
	// RefreshFailed: the fetch failed; the last good keys stay in use.
	RefreshFailed RefreshResult = "error"
)

// CallResult is the outcome of an introspection call.
type CallResult string

// Introspection call results.
const (
	// CallActive: the service vouched for the token.
	CallActive CallResult = "active"
	// CallInactive: the service said the token is not a session.
	CallInactive CallResult = "inactive"
	// CallFailed: the call failed or its answer proved nothing.
	CallFailed CallResult = "error"
	// CallThrottled: no call was made; the verifier's concurrency or rate
	// limit turned it away.
	CallThrottled CallResult = "throttled"
)

// observedCall is call, reported to the Observer.
func (v *IntrospectVerifier) observedCall(ctx context.Context, token string) (introspection, error) {
	obs := v.cfg.Observer
	if obs == nil {
		return v.call(ctx, token)
	}
	start := time.Now()
	r, err := v.call(ctx, token)
	obs.Introspected(v.cfg.Name, callResult(r, err), time.Since(start))
	return r, err
}

// ReportedReason is the reason an Observer is given for the outcome err of
// a verification: ReasonOK for nil, else the Reason err carries, else
// ReasonInternal. Verifiers outside this package report with it too.
func ReportedReason(err error) Reason {
	if err == nil {
		return ReasonOK
	}
	if r := ReasonOf(err); r != "" {
		return r
	}
	return ReasonInternal
}

// CacheResultOf maps "the cache answered" to a CacheResult.
func CacheResultOf(hit bool) CacheResult {
	if hit {
		return CacheHit
	}
	return CacheMiss
}

// callResult classifies the outcome of one introspection call.
func callResult(r introspection, err error) CallResult {
	switch {
	case errors.Is(err, errBusy), errors.Is(err, errRateLimited):
		return CallThrottled
	case err != nil:
		return CallFailed
	case r.id == nil && !r.badSubject:
		return CallInactive
	}
	return CallActive
}
