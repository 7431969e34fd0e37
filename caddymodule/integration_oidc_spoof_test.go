package caddymodule

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/authgate/authgate/internal/oidctest"
)

// TestOIDCLoginLimitIgnoresUntrustedForwardedFor: without trusted_proxies,
// X-Forwarded-For, X-Real-IP and Forwarded are the client's own words. A
// client that sends a new address in each of them for every login start
// (IPv4 and IPv6 in other /64s) still spends one budget: past login_limit
// it gets 429, and failed callbacks count against the same peer address.
func TestOIDCLoginLimitIgnoresUntrustedForwardedFor(t *testing.T) {
	e := startOIDC(t, oidctest.Options{}, "login_limit 5 1m\n\t\t\tfailure_limit 3 1m")
	spoof := func(i int) []string {
		return []string{
			fmt.Sprintf("X-Forwarded-For: 198.51.100.%d, 2001:db8:%x::1", i%250+1, i+1),
			fmt.Sprintf("X-Real-IP: 2001:db8:%x::2", i+1),
			fmt.Sprintf("Forwarded: for=\"[2001:db8:%x::3]\"", i+1),
		}
	}
	b := newBrowser(t)
	var limited int
	for i := range 20 {
		if r := b.do("GET", e.g.base+"/.authgate/login?redirect_uri=/", "", spoof(i)...); r.status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited != 15 {
		t.Errorf("%d of 20 spoofed login starts got 429, want 15 (login_limit 5)", limited)
	}
	limited = 0
	for i := range 10 {
		cb := b.do("GET", e.g.base+"/.authgate/callback?state=bogus&code=c"+fmt.Sprint(i), "", spoof(100+i)...)
		if cb.status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited != 7 {
		t.Errorf("%d of 10 spoofed bogus callbacks got 429, want 7 (failure_limit 3)", limited)
	}
}
