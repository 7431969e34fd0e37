package caddymodule

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authgate/authgate/claimsource"
	"github.com/authgate/authgate/oidclogin"
	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

// metricsObserver turns what the domain packages report (verifier.Observer,
// session.Observer, claimsource.Observer, oidclogin.Observer) into the
// process metrics of metrics.go. One is built per app; the series of its
// verifiers are resolved once its verifiers are known (prepare), so that
// reporting a verification allocates nothing.
type metricsObserver struct {
	verify atomic.Pointer[map[string]*[2]prometheus.Observer] // verifier → by cache: hit, miss
}

var (
	_ verifier.Observer    = (*metricsObserver)(nil)
	_ session.Observer     = (*metricsObserver)(nil)
	_ claimsource.Observer = (*metricsObserver)(nil)
	_ oidclogin.Observer   = (*metricsObserver)(nil)
)

// The identity cache's two lookup series, resolved once.
var (
	identityCacheHits   = identityCacheLookups.WithLabelValues(string(verifier.CacheHit))
	identityCacheMisses = identityCacheLookups.WithLabelValues(string(verifier.CacheMiss))
)

// prepare resolves the latency series of the verifier names (and of none).
func (o *metricsObserver) prepare(names []string) {
	m := make(map[string]*[2]prometheus.Observer, len(names)+1)
	for _, n := range append([]string{noVerifier}, names...) {
		m[n] = &[2]prometheus.Observer{
			verifyDuration.WithLabelValues(n, string(verifier.CacheHit)),
			verifyDuration.WithLabelValues(n, string(verifier.CacheMiss)),
		}
	}
	o.verify.Store(&m)
}

// Verified implements verifier.Observer.
func (o *metricsObserver) Verified(name string, _ verifier.Reason, cache verifier.CacheResult, elapsed time.Duration) {
	if name == "" {
		name = noVerifier
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
func (o *metricsObserver) IdentityCacheEvicted() { identityCacheEvictions.Inc() }

// KeysRefreshed implements verifier.Observer.
func (o *metricsObserver) KeysRefreshed(result verifier.RefreshResult, keys int) {
	jwksRefreshes.WithLabelValues(string(result)).Inc()
	if result == verifier.RefreshOK {
		jwksKeysLoaded.Add(float64(keys))
	}
}

// Introspected implements verifier.Observer.
func (o *metricsObserver) Introspected(name string, result verifier.CallResult, elapsed time.Duration) {
	introspectionCalls.WithLabelValues(name, string(result)).Inc()
	if result != verifier.CallThrottled {
		introspectionDuration.WithLabelValues(name).Observe(elapsed.Seconds())
	}
}

// StoreCalled implements session.Observer.
func (o *metricsObserver) StoreCalled(op session.Op, result session.Result, elapsed time.Duration) {
	storeOperations.WithLabelValues(string(op), string(result)).Inc()
	storeDuration.WithLabelValues(string(op)).Observe(elapsed.Seconds())
}

// Revoked implements session.Observer.
func (o *metricsObserver) Revoked(what session.Revocation, sessions int) {
	revocations.WithLabelValues(string(what)).Inc()
	if sessions > 0 {
		revokedSessions.WithLabelValues(string(what)).Add(float64(sessions))
	}
}

// Fetched implements claimsource.Observer.
func (o *metricsObserver) Fetched(claim string, result claimsource.FetchResult, elapsed time.Duration) {
	claimFetches.WithLabelValues(claim, string(result)).Inc()
	if result != claimsource.FetchThrottled {
		claimFetchDuration.WithLabelValues(claim).Observe(elapsed.Seconds())
	}
}

// Served implements claimsource.Observer.
func (o *metricsObserver) Served(claim string, how claimsource.Serve) {
	claimRefreshes.WithLabelValues(claim, string(how)).Inc()
}

// WriteBackFailed implements claimsource.Observer.
func (o *metricsObserver) WriteBackFailed(claim string) {
	claimWriteBackFailures.WithLabelValues(claim).Inc()
}

// LoginStarted implements oidclogin.Observer.
func (o *metricsObserver) LoginStarted(provider string) {
	loginsStarted.WithLabelValues(provider).Inc()
}

// LoginCompleted implements oidclogin.Observer.
func (o *metricsObserver) LoginCompleted(provider string) {
	loginsCompleted.WithLabelValues(provider).Inc()
}

// LoginFailed implements oidclogin.Observer. A request naming no configured
// provider is counted under provider none.
func (o *metricsObserver) LoginFailed(provider string, reason oidclogin.Reason) {
	if provider == "" {
		provider = noVerifier
	}
	loginsFailed.WithLabelValues(provider, string(reason)).Inc()
}

// identityCacheObserver is the observer of the identity cache: it also
// counts the cache's hits and misses, which the other verifiers' reports
// (introspection, edge sessions: their own caches) do not.
type identityCacheObserver struct{ *metricsObserver }

// Verified implements verifier.Observer.
func (o identityCacheObserver) Verified(name string, reason verifier.Reason, cache verifier.CacheResult, elapsed time.Duration) {
	if cache == verifier.CacheHit {
		identityCacheHits.Inc()
	} else {
		identityCacheMisses.Inc()
	}
	o.metricsObserver.Verified(name, reason, cache, elapsed)
}

// keysObserver is the observer of remote key sources, which are shared by
// every config that names the same JWKS and outlive each of them.
var keysObserver verifier.Observer = new(metricsObserver)

// sessionObserver is the observer given to the session manager: nil when
// metrics are off.
func (a *App) sessionObserver() session.Observer {
	if a.metrics == nil {
		return nil
	}
	return a.metrics
}

// claimObserver is the observer given to claim sources: nil when metrics
// are off.
func (a *App) claimObserver() claimsource.Observer {
	if a.metrics == nil {
		return nil
	}
	return a.metrics
}

// loginObserver is the observer given to OIDC logins: nil when metrics are
// off.
func (a *App) loginObserver() oidclogin.Observer {
	if a.metrics == nil {
		return nil
	}
	return a.metrics
}
