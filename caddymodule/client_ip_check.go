package caddymodule

import (
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
)

// clientIPCheck remembers whether the app has warned that its per-client
// limits count an address the client chooses.
type clientIPCheck struct{ warned, unknown atomic.Bool }

// noteClientIP warns, once per app, when a per-client limit is about to
// count a client IP that Caddy read from the left of a forwarded header
// holding several addresses. Proxies append the address they saw to
// X-Forwarded-For, so its left-most entries are whatever the client sent:
// without trusted_proxies_strict (which reads from the right, skipping
// trusted proxies) each request can name a new client and every
// per-client budget (OIDC login_limit and failure_limit, an introspection
// client budget) is void. It also warns, once, when the client address is
// not an IP at all (a unix socket listener): such clients cannot be told
// apart. The warnings name no address.
func (a *App) noteClientIP(r *http.Request) {
	if a.clientIP == nil || a.clientIP.warned.Load() && a.clientIP.unknown.Load() || len(a.OIDC)+len(a.Introspect) == 0 {
		return
	}
	if ip, _ := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string); !isIP(ip) {
		if a.clientIP.unknown.CompareAndSwap(false, true) {
			a.logger.Warn("per-client limits cannot tell clients apart: the client address is not an IP (a unix socket listener); " +
				"introspection client budgets are off for such requests and OIDC login limits are shared by all of them. " +
				"Behind a proxy on a unix socket, set trusted_proxies_unix in the servers options")
		}
		return
	}
	trusted, _ := caddyhttp.GetVar(r.Context(), caddyhttp.TrustedProxyVarKey).(bool)
	srv, _ := r.Context().Value(caddyhttp.ServerCtxKey).(*caddyhttp.Server)
	if !trusted || srv == nil || srv.TrustedProxiesStrict > 0 {
		return
	}
	addresses := 0
	for _, name := range srv.ClientIPHeaders {
		for _, v := range r.Header.Values(name) {
			addresses += strings.Count(v, ",") + 1
		}
	}
	if addresses < 2 || !a.clientIP.warned.CompareAndSwap(false, true) {
		return
	}
	a.logger.Warn("per-client limits count the left-most address of a forwarded header, which the client chooses when a proxy appends to it; "+
		"set trusted_proxies_strict in the servers options so Caddy reads it from the right",
		zap.Strings("client_ip_headers", srv.ClientIPHeaders))
}

func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}
