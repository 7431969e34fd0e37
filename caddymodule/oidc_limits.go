package caddymodule

import (
	"fmt"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"go.uber.org/zap"

	"github.com/authgate/authgate/internal/clientlimit"
	"github.com/authgate/authgate/internal/logthrottle"
)

// reasonRateLimited: a client started too many logins, or failed too
// many callbacks, within the window.
const reasonRateLimited = "rate_limited"

// Default per-client limits of an oidc block. A login is one start and
// one callback; a person behind a shared address makes a few a minute at
// most, and failed callbacks (each may cost a call to the token endpoint,
// with the client secret) are rarer still.
var (
	defaultLoginLimit   = RateLimit{Events: 30, Window: caddy.Duration(time.Minute)}
	defaultFailureLimit = RateLimit{Events: 5, Window: caddy.Duration(time.Minute)}
)

// RateLimit is a per-client budget: Events per Window, any of them at once.
type RateLimit struct {
	// Events is how many the budget holds. Required.
	Events int `json:"events"`
	// Window is how long the budget takes to refill. Required.
	Window caddy.Duration `json:"window"`
}

// oidcLimits are an oidc block's per-client limiters.
type oidcLimits struct {
	logins   *clientlimit.Table   // login starts
	failures *clientlimit.Table   // failed callbacks
	log      *logthrottle.Limiter // rate-limited clients
	networks networkLimits        // the same per IPv6 /48
}

// setLimitDefaults fills in the default limits and checks given ones.
func (oc *OIDCConfig) setLimitDefaults() error {
	for _, l := range []struct {
		name string
		dst  **RateLimit
		def  RateLimit
	}{{"login_limit", &oc.LoginLimit, defaultLoginLimit}, {"failure_limit", &oc.FailureLimit, defaultFailureLimit}} {
		if *l.dst == nil {
			v := l.def
			*l.dst = &v
		}
		if (*l.dst).Events < 1 || (*l.dst).Window <= 0 {
			return fmt.Errorf("oidc %s: %s needs a positive count and window", oc.Name, l.name)
		}
	}
	return nil
}

func newOIDCLimits(oc *OIDCConfig) oidcLimits {
	return oidcLimits{
		logins:   newClientTable(oc.LoginLimit.Events, time.Duration(oc.LoginLimit.Window)),
		failures: newClientTable(oc.FailureLimit.Events, time.Duration(oc.FailureLimit.Window)),
		log:      logthrottle.New(10*time.Second, 3, nil),
		networks: newNetworkLimits(oc),
	}
}

// tooMany answers a rate-limited login or callback: 429 with
// Retry-After, before any store write or call to the provider.
func (p *oidcProvider) tooMany(h *Handler, w http.ResponseWriter, r *http.Request, what string, wait time.Duration) error {
	warnThrottled(p.limits.log, h.logger, "authgate oidc client rate-limited",
		zap.String("oidc", p.cfg.Name), zap.String("limit", what), zap.String("client", clientKey(r)))
	setRetryAfter(w, max(wait, time.Second))
	return h.loginFailed(w, r, http.StatusTooManyRequests, reasonRateLimited, nil)
}

// failed answers a failed callback and spends one of the client's
// failures, unless the failure is the gateway's or the provider's (5xx).
func (p *oidcProvider) failed(h *Handler, w http.ResponseWriter, r *http.Request, err error) error {
	if le, ok := err.(*loginError); !ok || le.status < 500 {
		p.limits.takeFailure(r)
	}
	return h.loginFailedErr(w, r, err)
}

// parseRateLimit parses `<events> <window>` (e.g. `30 1m`).
func parseRateLimit(d *caddyfile.Dispenser, dst **RateLimit) error {
	var l RateLimit
	args := d.RemainingArgs()
	if len(args) != 2 {
		return d.ArgErr()
	}
	if _, err := fmt.Sscan(args[0], &l.Events); err != nil || l.Events < 1 {
		return d.Errf("expected a positive count, got %q", args[0])
	}
	w, err := caddy.ParseDuration(args[1])
	if err != nil || w <= 0 {
		return d.Errf("bad window %q", args[1])
	}
	l.Window = caddy.Duration(w)
	*dst = &l
	return nil
}
