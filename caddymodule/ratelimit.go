package caddymodule

import (
	"net"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/authgate/authgate/internal/clientlimit"
	"github.com/authgate/authgate/internal/logthrottle"
)

// newClientTable returns a per-client budget of events per window, any of
// them at once (clientlimit's bounded table).
func newClientTable(events int, window time.Duration) *clientlimit.Table {
	return clientlimit.New(float64(events)/window.Seconds(), events, 0, nil)
}

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

// warnThrottled logs msg at warn level unless lines of this limiter are
// over their rate; the next line written says how many were left out.
func warnThrottled(l *logthrottle.Limiter, logger *zap.Logger, msg string, fields ...zap.Field) {
	ok, dropped := l.Allow(msg)
	if !ok {
		return
	}
	if dropped > 0 {
		fields = append(fields, zap.Int("suppressed", dropped))
	}
	logger.Warn(msg, fields...)
}
