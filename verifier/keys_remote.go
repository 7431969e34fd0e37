package verifier

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// RemoteKeyOptions configures a RemoteKeySource.
type RemoteKeyOptions struct {
	// URL is the JWKS endpoint. Required.
	URL string
	// HTTPTimeout bounds each fetch. Default: 5s.
	HTTPTimeout time.Duration
	// RefreshInterval is how often the set is fetched in the background,
	// off the request path. Default: 1h.
	RefreshInterval time.Duration
	// UnknownKIDBurst and UnknownKIDRefill size the token bucket that
	// rate-limits refreshes caused by tokens naming an unknown kid: up to
	// UnknownKIDBurst refresh at once (so rotations are picked up
	// immediately), then one per UnknownKIDRefill. Any refresh loads a
	// rotated key, so a burst of made-up kids keeps it out for at most one
	// refill interval, and a flood costs the IdP one fetch per interval.
	// Defaults: 3 and 5s.
	UnknownKIDBurst  int
	UnknownKIDRefill time.Duration
	// RateLimitWaitMax is the longest a request waits, in all, for a
	// refill and the unknown-kid fetch it triggers; the fetch itself goes on
	// for up to HTTPTimeout and serves the requests after it. Default: 1s.
	RateLimitWaitMax time.Duration
	// MaxBodyBytes caps the JWKS response body. Default: 1 MiB.
	MaxBodyBytes int64
	// Client is the base HTTP client; its transport is wrapped. Default: a
	// client using http.DefaultTransport.
	Client *http.Client
	// OnRefreshError, if set, receives errors of the first fetch, background
	// refreshes and unknown-kid refreshes, possibly from several goroutines
	// at once. Errors never carry key material.
	OnRefreshError func(err error)
	// Observer, if set, is told of every fetch of the set and its result.
	Observer Observer
}

// RemoteKeySource serves keys from a JWKS endpoint, refreshed in the
// background and on unknown kids. The last good set keeps working while the
// endpoint is down: a failed fetch never replaces it.
type RemoteKeySource struct {
	url     string
	waitMax time.Duration
	// store is the fetched set alone; reading it never triggers a refresh.
	store jwkset.Storage

	mu       sync.Mutex
	inflight chan struct{} // closed when the running refresh (or the first fetch) ends
	// fetch is nil until the first fetch has ended (see start).
	fetch *refreshers
}

// NewRemoteKeySource returns at once: the first fetch (bounded by
// HTTPTimeout) runs in the background, so a slow or hung IdP never holds up
// the gateway's start. Until keys arrive, tokens are keys_unavailable (a
// request waits at most RateLimitWaitMax for the first fetch); a failed fetch
// is reported to OnRefreshError, never returned. The background refresh lives
// until ctx is cancelled.
func NewRemoteKeySource(ctx context.Context, opts RemoteKeyOptions) (*RemoteKeySource, error) {
	if opts.URL == "" {
		return nil, errors.New("creating JWKS key source: URL is required")
	}
	if _, err := url.ParseRequestURI(opts.URL); err != nil {
		return nil, fmt.Errorf("creating JWKS key source: %w", err)
	}
	opts = opts.withDefaults()
	s := &RemoteKeySource{url: opts.URL, waitMax: opts.RateLimitWaitMax, store: jwkset.NewMemoryStorage(), inflight: make(chan struct{})}
	go s.start(ctx, opts)
	return s, nil
}

func (o RemoteKeyOptions) withDefaults() RemoteKeyOptions {
	setDefault(&o.HTTPTimeout, 5*time.Second)
	setDefault(&o.RefreshInterval, time.Hour)
	setDefault(&o.UnknownKIDBurst, 3)
	setDefault(&o.UnknownKIDRefill, 5*time.Second)
	setDefault(&o.RateLimitWaitMax, time.Second)
	setDefault(&o.MaxBodyBytes, 1<<20)
	return o
}

func (o RemoteKeyOptions) refreshErrorHandler() func(context.Context, error) {
	return func(_ context.Context, err error) {
		if o.Observer != nil {
			o.Observer.KeysRefreshed(RefreshFailed, 0)
		}
		if o.OnRefreshError != nil {
			o.OnRefreshError(fmt.Errorf("refreshing JWKS %q: %w", o.URL, err))
		}
	}
}

// setDefault sets *v to def when it is zero or negative.
func setDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// KeyfuncCtx returns the keyfunc for one token; ctx bounds any wait on an
// unknown-kid refresh. jku, x5u, jwk and x5c headers are never looked at:
// keys come from the configured URL only (RFC 8725 section 3.10).
func (s *RemoteKeySource) KeyfuncCtx(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		kid, hasKID := t.Header["kid"]
		if !hasKID {
			return s.keysForAlg(ctx, t.Method.Alg())
		}
		kidStr, ok := kid.(string)
		if !ok {
			return nil, Reject(ReasonMalformed, errors.New("kid header is not a string"))
		}
		jwk, err := s.lookup(ctx, kidStr)
		if err != nil {
			return nil, s.missing(ctx, errors.New("no key with the token's kid"))
		}
		return usableKey(jwk, t.Method.Alg())
	}
}

// lookup finds kid in the current set and, failing that, after an
// unknown-kid refresh.
func (s *RemoteKeySource) lookup(ctx context.Context, kid string) (jwkset.JWK, error) {
	if jwk, err := s.store.KeyRead(ctx, kid); err == nil {
		return jwk, nil
	}
	s.refreshUnknown(ctx, kid)
	return s.store.KeyRead(ctx, kid)
}

// refreshUnknown starts one rate-limited refresh, or joins the one
// running, and waits for it at most RateLimitWaitMax. Requests arriving
// while a refresh runs wait for it instead of queueing on the limiter
// (go-oidc's joined in-flight fetch), so a burst of tokens signed with a
// freshly rotated key all pass after one fetch.
func (s *RemoteKeySource) refreshUnknown(ctx context.Context, kid string) {
	s.mu.Lock()
	wait := s.inflight
	if wait == nil && s.fetch != nil { // nil fetch: the first fetch could not even start
		wait = make(chan struct{})
		s.inflight = wait
		go s.refresh(s.fetch, s.empty(ctx), kid, wait)
	}
	s.mu.Unlock()
	if wait != nil {
		s.join(ctx, wait)
	}
}

// empty reports whether no key has been loaded yet.
func (s *RemoteKeySource) empty(ctx context.Context) bool {
	all, err := s.store.KeyReadAll(ctx)
	return err != nil || len(all) == 0
}

// keysForAlg serves a token without kid: every key of the set that fits alg.
func (s *RemoteKeySource) keysForAlg(ctx context.Context, alg string) (any, error) {
	if s.empty(ctx) {
		s.refreshUnknown(ctx, "")
	}
	all, err := s.store.KeyReadAll(ctx)
	if err != nil {
		return nil, Unavailable(ReasonKeysUnavailable, err)
	}
	var set jwt.VerificationKeySet
	for _, jwk := range all {
		if key, err := usableKey(jwk, alg); err == nil {
			set.Keys = append(set.Keys, key)
		}
	}
	if len(set.Keys) == 0 {
		return nil, s.missing(ctx, errNoKeyForAlg)
	}
	return set, nil
}

// missing tells "this key is not in the set" (401) from "there is no set":
// a source that has never loaded a key cannot judge any token, so that is a
// 503 the client can retry, not a rejection.
func (s *RemoteKeySource) missing(ctx context.Context, cause error) error {
	if all, err := s.store.KeyReadAll(ctx); err != nil || len(all) == 0 {
		return Unavailable(ReasonKeysUnavailable, fmt.Errorf("no keys loaded from JWKS %q", s.url))
	}
	return Reject(ReasonUnknownKey, cause)
}

// usableKey returns the public key of jwk if it may verify a token signed
// with alg. The JWKS filter already dropped encryption keys; this re-checks
// so a key's "use", "key_ops" and "alg" are honoured whatever the store holds.
func usableKey(jwk jwkset.JWK, alg string) (any, error) {
	m := jwk.Marshal()
	if (m.USE != "" && m.USE != jwkset.UseSig) || !canVerify(m.KEYOPS) {
		return nil, Reject(ReasonUnknownKey, errors.New("key is not a signature key"))
	}
	key := publicOf(jwk.Key())
	if (m.ALG != "" && string(m.ALG) != alg) || !keyFitsAlg(key, alg) {
		return nil, Reject(ReasonAlgNotAllowed, errKeyAlgMismatch)
	}
	return key, nil
}

// canVerify reports whether key_ops allows verifying; absent key_ops does.
func canVerify(ops []jwkset.KEYOPS) bool {
	return len(ops) == 0 || slices.Contains(ops, jwkset.KeyOpsVerify)
}
