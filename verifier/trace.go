package verifier

import "context"

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
