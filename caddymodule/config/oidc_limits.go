package config

import (
	"fmt"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

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
