package caddymodule

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/oidctest"
)

// Behind a proxy that appends to X-Forwarded-For (nginx's
// $proxy_add_x_forwarded_for, most load balancers and CDNs) the header is
// "<whatever the client sent>, <the client's address>". Caddy's default
// reads it from the left, so every per-client budget (login_limit,
// failure_limit, an introspection client budget) counts an address the
// client chose. With trusted_proxies_strict Caddy reads from the right and
// the budget holds; without it the gateway warns, once, when it first
// sees such a header from a trusted proxy.
func TestPerClientLimitsNeedStrictClientIPBehindAnAppendingProxy(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprintf("strict=%v", strict), func(t *testing.T) {
			servers := "\tservers {\n\t\ttrusted_proxies static 127.0.0.1/32\n"
			if strict {
				servers += "\t\ttrusted_proxies_strict\n"
			}
			logs := newCaddyLog(t)
			p := oidctest.New(t, oidctest.Options{ClientID: "gateway", ClientSecret: "gw-secret"})
			site := strings.NewReplacer("{ISSUER}", p.Issuer(), "{UPSTREAM}", echoUpstream(t).URL,
				"{OIDC}", "login_limit 5 1m", "{SESSION}", "", "{GLOBAL}", "",
				"\tadmin off\n", "\tadmin off\n"+servers+"\t}\n\t"+logs.option()+"\n").Replace(oidcSite)
			g := startGateway(t, site)
			var limited int
			for i := range 20 {
				// The client prepends a new address; the proxy appends the real one.
				xff := fmt.Sprintf("X-Forwarded-For: 198.51.100.%d, 203.0.113.7", i+1)
				if r := newBrowser(t).do("GET", g.base+"/.authgate/login?redirect_uri=/", "", xff); r.status == http.StatusTooManyRequests {
					limited++
				}
			}
			warnings := func() int { return len(logs.lines("left-most address")) }
			if strict {
				if limited != 15 {
					t.Errorf("strict: %d of 20 login starts got 429, want 15 (login_limit 5 for 203.0.113.7)", limited)
				}
				time.Sleep(100 * time.Millisecond)
				if n := warnings(); n != 0 {
					t.Errorf("strict: %d warnings about trusted_proxies_strict, want none", n)
				}
				return
			}
			t.Logf("non-strict: %d of 20 spoofed login starts got 429", limited)
			sesWaitFor(t, 2*time.Second, "a warning naming trusted_proxies_strict", func() bool { return warnings() > 0 })
			time.Sleep(100 * time.Millisecond)
			if n := warnings(); n != 1 {
				t.Errorf("%d warnings about trusted_proxies_strict, want exactly one", n)
			}
			for _, l := range logs.lines("left-most address") {
				if strings.Contains(l, "198.51.100") || strings.Contains(l, "203.0.113") {
					t.Errorf("the warning names client addresses: %s", l)
				}
			}
		})
	}
}
