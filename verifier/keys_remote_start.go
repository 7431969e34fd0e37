package verifier

import (
	"context"
	"fmt"
	"time"

	"github.com/MicahParks/jwkset"
	"golang.org/x/time/rate"
)

// refreshers are what a request needs to make a RemoteKeySource fetch its
// set again: the fetching client and the limiters that ration it.
type refreshers struct {
	ctx         context.Context // the source's lifetime
	httpTimeout time.Duration
	// client fetches without limiting: the limiters below are waited on
	// separately, so waiting for a token never eats into the fetch's time.
	client jwkset.Storage
	// bucket rations refreshes on an unknown kid: UnknownKIDBurst at once,
	// refilled one per UnknownKIDRefill.
	bucket *rate.Limiter
	// bootstrap rations refreshes while the store holds no key at all (the
	// endpoint was down or slow at start): every token is unverifiable
	// then, so recovery must not wait for the bucket. One per second.
	bootstrap *rate.Limiter
	report    func(error)
}

// start runs the first fetch and then hands requests the refreshers. Until
// it ends, s.inflight is open, so requests join the first fetch (for at most
// waitMax) instead of starting fetches of their own.
func (s *RemoteKeySource) start(ctx context.Context, opts RemoteKeyOptions) {
	var fetch *refreshers
	defer func() {
		if p := recover(); p != nil {
			opts.reportFailure(fmt.Errorf("loading JWKS %q: panic: %v", opts.URL, p))
		}
		s.mu.Lock()
		s.fetch = fetch
		done := s.inflight
		s.inflight = nil
		s.mu.Unlock()
		close(done)
	}()
	var err error
	if fetch, err = newRefreshers(ctx, opts, s.store); err != nil {
		opts.reportFailure(fmt.Errorf("loading JWKS %q: %w", opts.URL, err))
	}
}

// reportFailure reports a fetch that failed outside jwkset's own error
// handler.
func (o RemoteKeyOptions) reportFailure(err error) {
	if o.Observer != nil {
		o.Observer.KeysRefreshed(RefreshFailed, 0)
	}
	if o.OnRefreshError != nil {
		o.OnRefreshError(err)
	}
}

// observedKeys is the key store as the fetcher sees it: every set it
// stores is a successful fetch, reported with its size. Reads go to the
// store itself.
type observedKeys struct {
	jwkset.Storage
	obs Observer
}

// KeyReplaceAll is how jwkset stores each set it fetched.
func (k observedKeys) KeyReplaceAll(ctx context.Context, given []jwkset.JWK) error {
	err := k.Storage.KeyReplaceAll(ctx, given)
	if err == nil {
		k.obs.KeysRefreshed(RefreshOK, len(given))
	}
	return err
}

// newRefreshers fetches the set into store once (bounded by HTTPTimeout),
// starts the background refresh, and builds the refreshers around it.
func newRefreshers(ctx context.Context, opts RemoteKeyOptions, store jwkset.Storage) (*refreshers, error) {
	if opts.Observer != nil {
		store = observedKeys{Storage: store, obs: opts.Observer}
	}
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
	client, err := jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
		HTTPURLs:          map[string]jwkset.Storage{opts.URL: remote},
		RefreshUnknownKID: rate.NewLimiter(rate.Inf, 1),
	})
	if err != nil {
		return nil, err
	}
	return &refreshers{
		ctx:         ctx,
		httpTimeout: opts.HTTPTimeout,
		client:      client,
		bucket:      rate.NewLimiter(rate.Every(opts.UnknownKIDRefill), opts.UnknownKIDBurst),
		bootstrap:   rate.NewLimiter(rate.Every(time.Second), 1),
		report:      opts.reportFailure,
	}, nil
}

// refresh takes a token (from the bootstrap limiter while no key is
// loaded), waiting at most RateLimitWaitMax for one, then fetches the set
// within HTTPTimeout, and finally closes done. It runs detached from the
// request that started it: that request waits at most RateLimitWaitMax in
// all (join), and a fetch that spent a token always gets its full time, so
// a slow answer still loads the keys for the requests after it.
func (s *RemoteKeySource) refresh(f *refreshers, empty bool, kid string, done chan struct{}) {
	defer func() {
		if p := recover(); p != nil {
			f.report(fmt.Errorf("refreshing JWKS %q: panic: %v", s.url, p))
		}
		s.mu.Lock()
		s.inflight = nil
		s.mu.Unlock()
		close(done)
	}()
	limiter := f.bucket
	if empty {
		limiter = f.bootstrap
	}
	waitCtx, cancel := context.WithTimeout(f.ctx, s.waitMax)
	err := limiter.Wait(waitCtx) // fails at once when no token comes within waitMax
	cancel()
	if err != nil {
		return
	}
	fetchCtx, cancel := context.WithTimeout(f.ctx, f.httpTimeout)
	defer cancel()
	_, _ = f.client.KeyRead(fetchCtx, kid) // errors reach OnRefreshError through jwkset
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
