package verifier

import "context"

// Loaded reports whether the source holds at least one key. While it
// holds none, asking starts a refresh (rationed like the ones tokens
// start while no key is loaded: one per second) and waits for it at most
// RateLimitWaitMax, so a readiness probe sees an endpoint that came back.
func (s *RemoteKeySource) Loaded(ctx context.Context) bool {
	if !s.empty(ctx) {
		return true
	}
	s.refreshUnknown(ctx, "")
	return !s.empty(ctx)
}
