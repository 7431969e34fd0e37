package caddymodule

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/authgate/authgate/internal/oidctest"
)

// TestOIDCLimitsHoldAgainstRotatingSlash64sOfOneSlash48: behind a trusted
// proxy (read strictly), every login start and every bogus callback comes
// from a new /64 of one IPv6 /48. Counted per /64 alone, each got a fresh
// budget and none was refused; the /48 now holds four clients' budgets,
// and a client of another /48 is still served.
func TestOIDCLimitsHoldAgainstRotatingSlash64sOfOneSlash48(t *testing.T) {
	p := oidctest.New(t, oidctest.Options{ClientID: "gateway", ClientSecret: "gw-secret"})
	site := strings.NewReplacer("{ISSUER}", p.Issuer(), "{UPSTREAM}", echoUpstream(t).URL,
		"{OIDC}", "login_limit 5 1m\n\t\t\tfailure_limit 3 1m", "{SESSION}", "", "{GLOBAL}", "",
		"\tadmin off\n", "\tadmin off\n\tservers {\n\t\ttrusted_proxies static 127.0.0.1/32\n\t\ttrusted_proxies_strict\n\t}\n",
	).Replace(oidcSite)
	g := startGateway(t, site)
	p.AllowRedirect(g.base + "/.authgate/callback")
	from := func(i int) string { return fmt.Sprintf("X-Forwarded-For: 2001:db8:7:%x::1", i+1) }

	var limited int
	for i := range 40 {
		if r := newBrowser(t).do("GET", g.base+"/.authgate/login?redirect_uri=/", "", from(i)); r.status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited != 20 {
		t.Errorf("%d of 40 login starts from rotating /64s got 429, want 20 (the /48 holds 4 x login_limit 5)", limited)
	}
	limited = 0
	for i := range 30 {
		cb := newBrowser(t).do("GET", g.base+"/.authgate/callback?state=bogus&code=c", "", from(100+i))
		if cb.status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited != 18 {
		t.Errorf("%d of 30 bogus callbacks from rotating /64s got 429, want 18 (the /48 holds 4 x failure_limit 3)", limited)
	}
	r := newBrowser(t).do("GET", g.base+"/.authgate/login?redirect_uri=/", "", "X-Forwarded-For: 2001:db8:8::1")
	wantLoginStartsAt(t, r, p.Issuer())
}
