package caddymodule

import (
	"net"
	"net/http"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/authgate/authgate/internal/clientlimit"
)

// clientKey is the client a request counts against: Caddy's client IP (the
// peer, or what trusted_proxies allow forwarded headers to say), IPv4 by
// address and IPv6 by /64 (clientlimit.Key). Clients whose address is not
// an IP (a unix socket without trusted_proxies_unix) share one budget.
func clientKey(r *http.Request) string {
	ip, _ := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string)
	if ip == "" {
		ip, _, _ = net.SplitHostPort(r.RemoteAddr)
	}
	return clientlimit.Key(ip)
}
