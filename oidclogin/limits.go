package oidclogin

import (
	"net/http"
	"strconv"
	"time"

	"github.com/authgate/authgate/internal/clientlimit"
	"github.com/authgate/authgate/internal/logthrottle"
)

// reasonRateLimited: a client started too many logins, or failed too
// many callbacks, within the window.
const reasonRateLimited Reason = "rate_limited"

// limits are a provider's per-client limiters.
type limits struct {
	logins   *clientlimit.Table   // login starts
	failures *clientlimit.Table   // failed callbacks
	log      *logthrottle.Limiter // rate-limited clients
	networks networkLimits        // the same per IPv6 /48
}

// networkLimits are the per-network budgets of a provider: the /48
// around an IPv6 client, which holds 65,536 /64 clients, gets
// clientlimit.NetworkFactor times a client's logins and failed callbacks,
// so rotating through the /64s of one /48 does not multiply them. IPv4
// clients have no network.
type networkLimits struct {
	logins, failures *clientlimit.Table
}

func newLimits(cfg Config) limits {
	f := clientlimit.NetworkFactor
	return limits{
		logins:   newClientTable(cfg.LoginLimit.Events, cfg.LoginLimit.Window),
		failures: newClientTable(cfg.FailureLimit.Events, cfg.FailureLimit.Window),
		log:      logthrottle.New(10*time.Second, 3, nil),
		networks: networkLimits{
			logins:   newClientTable(cfg.LoginLimit.Events*f, cfg.LoginLimit.Window),
			failures: newClientTable(cfg.FailureLimit.Events*f, cfg.FailureLimit.Window),
		},
	}
}

// newClientTable returns a per-client budget of events per window, any of
// them at once (clientlimit's bounded table).
func newClientTable(events int, window time.Duration) *clientlimit.Table {
	return clientlimit.New(float64(events)/window.Seconds(), events, 0, nil)
}

// takeLogin spends one login of client and of its network; when either
// has none left it returns how long until it has (the network's budget is
// checked first, so a refused network costs the client nothing).
func (l *limits) takeLogin(client string) time.Duration {
	network := clientlimit.Network(client)
	if network != "" {
		if wait := l.networks.logins.Wait(network); wait > 0 {
			return wait
		}
	}
	if ok, wait := l.logins.Take(client); !ok {
		return wait
	}
	if network != "" {
		if ok, wait := l.networks.logins.Take(network); !ok {
			return wait
		}
	}
	return 0
}

// failuresBlocked returns how long until client and its network may fail
// a callback again: 0 when both may now.
func (l *limits) failuresBlocked(client string) time.Duration {
	if wait := l.failures.Wait(client); wait > 0 {
		return wait
	}
	if network := clientlimit.Network(client); network != "" {
		return l.networks.failures.Wait(network)
	}
	return 0
}

// takeFailure spends one failed callback of client and its network.
func (l *limits) takeFailure(client string) {
	l.failures.Take(client)
	if network := clientlimit.Network(client); network != "" {
		l.networks.failures.Take(network)
	}
}

// tooMany answers a rate-limited login or callback: 429 with
// Retry-After, before any store write or call to the provider.
func (p *Provider) tooMany(w http.ResponseWriter, r *http.Request, client, what string, wait time.Duration) {
	warnThrottled(p.limits.log, p.set.deps.requestLog(), "authgate oidc client rate-limited",
		"oidc", p.cfg.Name, "limit", what, "client", client)
	setRetryAfter(w, max(wait, time.Second))
	p.fail(w, r, http.StatusTooManyRequests, reasonRateLimited, nil)
}

// failed answers a failed callback and spends one of the client's
// failures, unless the failure is the gateway's or the provider's (5xx).
func (p *Provider) failed(w http.ResponseWriter, r *http.Request, client string, le *loginError) {
	if le.status < 500 {
		p.limits.takeFailure(client)
	}
	p.fail(w, r, le.status, le.reason, le.cause)
}

// setRetryAfter sets Retry-After to after in whole seconds, rounded up.
func setRetryAfter(w http.ResponseWriter, after time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int((after+time.Second-1)/time.Second)))
}

// warnThrottled logs msg at warn level unless lines of this limiter are
// over their rate; the next line written says how many were left out.
func warnThrottled(l *logthrottle.Limiter, log Logger, msg string, kv ...any) {
	ok, dropped := l.Allow(msg)
	if !ok {
		return
	}
	if dropped > 0 {
		kv = append(kv, "suppressed", dropped)
	}
	log.Warn(msg, kv...)
}
