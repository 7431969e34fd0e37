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
