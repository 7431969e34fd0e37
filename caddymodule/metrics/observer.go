package metrics

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authgate/authgate/claimsource"
	"github.com/authgate/authgate/oidclogin"
	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

// Observer turns what the domain packages report (verifier.Observer,
// session.Observer, claimsource.Observer, oidclogin.Observer) into the
// process metrics. One is built per app (new(Observer)); the series of its
// verifiers are resolved once its verifiers are known (Prepare), so that
// reporting a verification allocates nothing.
type Observer struct {
	verify atomic.Pointer[map[string]*[2]prometheus.Observer] // verifier → by cache: hit, miss
}

var (
	_ verifier.Observer    = (*Observer)(nil)
	_ session.Observer     = (*Observer)(nil)
	_ claimsource.Observer = (*Observer)(nil)
	_ oidclogin.Observer   = (*Observer)(nil)
)

// The identity cache's two lookup series, resolved once.
var (
	identityCacheHits   = identityCacheLookups.WithLabelValues(string(verifier.CacheHit))
	identityCacheMisses = identityCacheLookups.WithLabelValues(string(verifier.CacheMiss))
)

// Prepare resolves the latency series of the verifier names (and of
// NoVerifier).
func (o *Observer) Prepare(names []string) {
	m := make(map[string]*[2]prometheus.Observer, len(names)+1)
	for _, n := range append([]string{NoVerifier}, names...) {
		m[n] = &[2]prometheus.Observer{
			verifyDuration.WithLabelValues(n, string(verifier.CacheHit)),
			verifyDuration.WithLabelValues(n, string(verifier.CacheMiss)),
		}
	}
	o.verify.Store(&m)
}

// Verified implements verifier.Observer.
func (o *Observer) Verified(name string, _ verifier.Reason, cache verifier.CacheResult, elapsed time.Duration) {
	if name == "" {
		name = NoVerifier
	}
	i := 1
	if cache == verifier.CacheHit {
		i = 0
	}
	if m := o.verify.Load(); m != nil {
		if series, ok := (*m)[name]; ok {
			series[i].Observe(elapsed.Seconds())
			return
		}
	}
	verifyDuration.WithLabelValues(name, string(cache)).Observe(elapsed.Seconds())
}

// IdentityCacheEvicted implements verifier.Observer.
func (o *Observer) IdentityCacheEvicted() { identityCacheEvictions.Inc() }

// KeysRefreshed implements verifier.Observer.
func (o *Observer) KeysRefreshed(result verifier.RefreshResult, keys int) {
	jwksRefreshes.WithLabelValues(string(result)).Inc()
	if result == verifier.RefreshOK {
		jwksKeysLoaded.Add(float64(keys))
	}
}

// Introspected implements verifier.Observer.
func (o *Observer) Introspected(name string, result verifier.CallResult, elapsed time.Duration) {
	introspectionCalls.WithLabelValues(name, string(result)).Inc()
	if result != verifier.CallThrottled {
		introspectionDuration.WithLabelValues(name).Observe(elapsed.Seconds())
	}
}

// StoreCalled implements session.Observer.
func (o *Observer) StoreCalled(op session.Op, result session.Result, elapsed time.Duration) {
	storeOperations.WithLabelValues(string(op), string(result)).Inc()
	storeDuration.WithLabelValues(string(op)).Observe(elapsed.Seconds())
}

// Revoked implements session.Observer.
func (o *Observer) Revoked(what session.Revocation, sessions int) {
	revocations.WithLabelValues(string(what)).Inc()
	if sessions > 0 {
		revokedSessions.WithLabelValues(string(what)).Add(float64(sessions))
	}
}

// Fetched implements claimsource.Observer.
func (o *Observer) Fetched(claim string, result claimsource.FetchResult, elapsed time.Duration) {
	claimFetches.WithLabelValues(claim, string(result)).Inc()
	if result != claimsource.FetchThrottled {
		claimFetchDuration.WithLabelValues(claim).Observe(elapsed.Seconds())
	}
}

// Served implements claimsource.Observer.
func (o *Observer) Served(claim string, how claimsource.Serve) {
	claimRefreshes.WithLabelValues(claim, string(how)).Inc()
}

// WriteBackFailed implements claimsource.Observer.
func (o *Observer) WriteBackFailed(claim string) {
	claimWriteBackFailures.WithLabelValues(claim).Inc()
}

// LoginStarted implements oidclogin.Observer.
func (o *Observer) LoginStarted(provider string) {
	loginsStarted.WithLabelValues(provider).Inc()
}

// LoginCompleted implements oidclogin.Observer.
func (o *Observer) LoginCompleted(provider string) {
	loginsCompleted.WithLabelValues(provider).Inc()
}

// LoginFailed implements oidclogin.Observer. A request naming no configured
// provider is counted under provider none.
func (o *Observer) LoginFailed(provider string, reason oidclogin.Reason) {
	if provider == "" {
		provider = NoVerifier
	}
	loginsFailed.WithLabelValues(provider, string(reason)).Inc()
}

// IdentityCache returns the observer of the identity cache: it also counts
// the cache's hits and misses, which the other verifiers' reports
// (introspection, edge sessions: their own caches) do not.
func (o *Observer) IdentityCache() verifier.Observer { return identityCacheObserver{o} }

// identityCacheObserver is the observer IdentityCache returns.
type identityCacheObserver struct{ *Observer }

// Verified implements verifier.Observer.
func (o identityCacheObserver) Verified(name string, reason verifier.Reason, cache verifier.CacheResult, elapsed time.Duration) {
	if cache == verifier.CacheHit {
		identityCacheHits.Inc()
	} else {
		identityCacheMisses.Inc()
	}
	o.Observer.Verified(name, reason, cache, elapsed)
}

// Keys is the observer of remote key sources, which are shared by every
// config that names the same JWKS and outlive each of them.
var Keys verifier.Observer = new(Observer)
