package caddymodule

import (
	"context"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/authgate/authgate/internal/clientlimit"
	"github.com/authgate/authgate/internal/logthrottle"
	"github.com/authgate/authgate/verifier"
)

// Repeated warnings (a dependency down under load, a flooding client) are
// written at most warnBurst times per warnInterval each; the next line
// written says how many were dropped.
const (
	warnInterval = 10 * time.Second
	warnBurst    = 10
)

func newWarnLimiter() *logthrottle.Limiter {
	return logthrottle.New(warnInterval, warnBurst, nil)
}

// clientContext returns r's context naming r's client for per-client
// budgets: Caddy's client IP (which honours trusted_proxies), IPv6 per /64.
func clientContext(r *http.Request) context.Context {
	ip, _ := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string)
	return verifier.WithClient(r.Context(), clientlimit.Key(ip))
}
