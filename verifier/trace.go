package verifier

import (
	"context"
	"errors"
)

// Trace records what verifying one request's credential did that the
// request's own log entry reports. Like an Observer's, its values never
// come from the credential. Verifiers with a cache note in it whether the
// cache answered; a request's handler puts one in the context it verifies
// with (WithTrace) and reads it afterwards.
type Trace struct {
	// Cache says whether the cache of the verifier that vouched for the
	// credential answered; empty when that verifier has no cache or none
	// vouched.
	Cache CacheResult
}

type traceKey struct{}

// WithTrace returns ctx carrying t, which verifications in ctx fill in.
func WithTrace(ctx context.Context, t *Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

// NoteCache records in ctx's Trace, if it has one, whether the cache of
// the verifier that vouched for the credential answered. Verifiers with a
// cache outside this package (edge sessions) call it too.
func NoteCache(ctx context.Context, hit bool) {
	if t, ok := ctx.Value(traceKey{}).(*Trace); ok {
		t.Cache = CacheResultOf(hit)
	}
}

// ErrWouldCall is returned, in a dry run without fetch (see WithDryRun),
// by a verifier that could decide only by calling a remote service (an
// introspection endpoint) and found no cached answer. The credential's
// fate is then undetermined: nothing was called.
var ErrWouldCall = errors.New("deciding needs a call to a remote service, which this dry run does not make")

type dryRunKey struct{}

// WithDryRun returns ctx marked as a dry run: the work done in it decides
// exactly as a request would, from the same keys, caches and stores, but
// changes nothing. Session uses are not recorded, results are not cached,
// claims are not written back, and no remote service (introspection,
// claim source) is called unless fetch is true.
func WithDryRun(ctx context.Context, fetch bool) context.Context {
	return context.WithValue(ctx, dryRunKey{}, fetch)
}

// DryRunOf reports whether ctx is a dry run (WithDryRun), and whether it
// may call remote services. Request paths ask it only where they would
// change something, never on a cache hit.
func DryRunOf(ctx context.Context) (dry, fetch bool) {
	fetch, dry = ctx.Value(dryRunKey{}).(bool)
	return dry, fetch
}
