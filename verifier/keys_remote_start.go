package verifier

import (
	"context"
	"fmt"
	"time"

	"github.com/MicahParks/jwkset"
	"golang.org/x/time/rate"
)

// refreshers are the two rate-limited ways a request can make a
// RemoteKeySource fetch its set again.
type refreshers struct {
	// unknown refreshes on an unknown kid from a token bucket of
	// UnknownKIDBurst fetches refilled once per UnknownKIDRefill.
	unknown jwkset.Storage
	// bootstrap refreshes while the store holds no key at all (the endpoint
	// was down or slow at start): every token is unverifiable then, so
	// recovery must not wait for the bucket. It fetches at most once per
	// second.
	bootstrap jwkset.Storage
}

// start runs the first fetch and then hands requests the refreshers. Until
// it ends, s.inflight is open, so requests join the first fetch (for at most
// waitMax) instead of starting fetches of their own.
func (s *RemoteKeySource) start(ctx context.Context, opts RemoteKeyOptions) {
	var fetch *refreshers
	defer func() {
		if p := recover(); p != nil && opts.OnRefreshError != nil {
			opts.OnRefreshError(fmt.Errorf("loading JWKS %q: panic: %v", opts.URL, p))
		}
		s.mu.Lock()
		s.fetch = fetch
		done := s.inflight
		s.inflight = nil
		s.mu.Unlock()
		close(done)
	}()
	var err error
	if fetch, err = newRefreshers(ctx, opts, s.store); err != nil && opts.OnRefreshError != nil {
		opts.OnRefreshError(fmt.Errorf("loading JWKS %q: %w", opts.URL, err))
	}
}

// newRefreshers fetches the set into store once (bounded by HTTPTimeout),
// starts the background refresh, and builds the refreshers around it.
func newRefreshers(ctx context.Context, opts RemoteKeyOptions, store jwkset.Storage) (*refreshers, error) {
	remote, err := jwkset.NewStorageFromHTTP(opts.URL, jwkset.HTTPClientStorageOptions{
		Client:                    jwksClient(opts.Client, opts.HTTPTimeout, opts.MaxBodyBytes),
		Ctx:                       ctx,
		HTTPTimeout:               opts.HTTPTimeout,
		NoErrorReturnFirstHTTPReq: true,
		RefreshErrorHandler:       opts.refreshErrorHandler(),
		RefreshInterval:           opts.RefreshInterval,
		Storage:                   store,
	})
	if err != nil {
		return nil, err
	}
	limited := func(limiter *rate.Limiter) (jwkset.Storage, error) {
		return jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
			HTTPURLs:          map[string]jwkset.Storage{opts.URL: remote},
			RateLimitWaitMax:  opts.RateLimitWaitMax,
			RefreshUnknownKID: limiter,
		})
	}
	unknown, err := limited(rate.NewLimiter(rate.Every(opts.UnknownKIDRefill), opts.UnknownKIDBurst))
	if err != nil {
		return nil, err
	}
	bootstrap, err := limited(rate.NewLimiter(rate.Every(time.Second), 1))
	if err != nil {
		return nil, err
	}
	return &refreshers{unknown: unknown, bootstrap: bootstrap}, nil
}

// join waits for a refresh another request started, for at most waitMax:
// the first fetch may take up to HTTPTimeout, longer than any request
// should wait on a key set.
func (s *RemoteKeySource) join(ctx context.Context, wait <-chan struct{}) {
	timer := time.NewTimer(s.waitMax)
	defer timer.Stop()
	select {
	case <-wait:
	case <-ctx.Done():
	case <-timer.C:
	}
}
