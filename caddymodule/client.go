package caddymodule

import (
	"context"
	"net/http"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/authgate/authgate/internal/clientlimit"
	"github.com/authgate/authgate/verifier"
)

// clientContext returns r's context naming r's client for per-client
// budgets: Caddy's client IP (which honours trusted_proxies), IPv6 per /64.
func clientContext(r *http.Request) context.Context {
	ip, _ := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string)
	return verifier.WithClient(r.Context(), clientlimit.Key(ip))
}
