package caddymodule

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"golang.org/x/time/rate"
)

// maxLimitedClients bounds each per-client table: past it, clients whose
// budget is full again are forgotten first, then any (a forgotten client
// starts with a full budget, so the bound can only ever let more through).
const maxLimitedClients = 10000

// clientLimiter is a token bucket per client: events per window, with a
// burst of as many. Clients are keyed by clientKey.
type clientLimiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	clients map[netip.Prefix]*rate.Limiter
}

func newClientLimiter(events int, window time.Duration) *clientLimiter {
	return &clientLimiter{
		limit:   rate.Limit(float64(events) / window.Seconds()),
		burst:   events,
		clients: map[netip.Prefix]*rate.Limiter{},
	}
}

// take spends one event of client's budget; when there is none left it
// spends nothing and returns how long until there is.
func (l *clientLimiter) take(client netip.Prefix) time.Duration {
	now := time.Now()
	lim := l.bucket(client, now)
	if lim.AllowN(now, 1) {
		return 0
	}
	return l.wait(lim, now)
}

// blocked returns how long until client has budget left, without
// spending any: 0 when it has some.
func (l *clientLimiter) blocked(client netip.Prefix) time.Duration {
	now := time.Now()
	lim := l.bucket(client, now)
	if lim.TokensAt(now) >= 1 {
		return 0
	}
	return l.wait(lim, now)
}

func (l *clientLimiter) wait(lim *rate.Limiter, now time.Time) time.Duration {
	missing := 1 - lim.TokensAt(now)
	return time.Duration(missing / float64(l.limit) * float64(time.Second))
}

// bucket returns client's bucket, making room in the table if needed.
func (l *clientLimiter) bucket(client netip.Prefix, now time.Time) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if lim, ok := l.clients[client]; ok {
		return lim
	}
	if len(l.clients) >= maxLimitedClients {
		l.evict(now)
	}
	lim := rate.NewLimiter(l.limit, l.burst)
	l.clients[client] = lim
	return lim
}

// evict forgets clients whose budget is full (they are as if new), then,
// if that is not enough, arbitrary ones down to nine tenths of the bound.
func (l *clientLimiter) evict(now time.Time) {
	for k, lim := range l.clients {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.clients, k)
		}
	}
	for k := range l.clients {
		if len(l.clients) < maxLimitedClients*9/10 {
			return
		}
		delete(l.clients, k)
	}
}

// clientKey is the client a request counts against: Caddy's client IP
// (the peer, or what trusted_proxies allow forwarded headers to say),
// IPv4 by address and IPv6 by /64, the smallest block a user gets.
func clientKey(r *http.Request) netip.Prefix {
	ip, _ := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string)
	if ip == "" {
		ip, _, _ = net.SplitHostPort(r.RemoteAddr)
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return netip.Prefix{} // unparseable clients share one budget
	}
	addr = addr.Unmap().WithZone("")
	bits := 32
	if addr.Is6() {
		bits = 64
	}
	p, _ := addr.Prefix(bits)
	return p
}

// retryAfter renders a wait as whole seconds, at least one.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}

// throttledLog writes at most burst lines at once and then one per
// interval, so a flood of failures cannot flood the log; the next line
// written says how many were left out.
type throttledLog struct {
	lim     *rate.Limiter
	dropped atomic.Int64
}

func newThrottledLog(interval time.Duration, burst int) *throttledLog {
	return &throttledLog{lim: rate.NewLimiter(rate.Every(interval), burst)}
}

// warn logs msg at warn level unless over the rate. A nil throttledLog
// logs every line.
func (t *throttledLog) warn(logger *zap.Logger, msg string, fields ...zap.Field) {
	if t != nil {
		if !t.lim.Allow() {
			t.dropped.Add(1)
			return
		}
		if n := t.dropped.Swap(0); n > 0 {
			fields = append(fields, zap.Int64("suppressed", n))
		}
	}
	logger.Warn(msg, fields...)
}
