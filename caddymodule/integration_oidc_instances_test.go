package caddymodule

import (
	"net/http"
	"strings"
	"testing"

	"github.com/authgate/authgate/internal/oidctest"
)

// TestOIDCCallbackWorksOnAnotherInstance: two gateways share Caddy's
// storage (the login-state key) and Redis (sessions). A login started on
// one instance finishes on the other, as behind a load balancer, and the
// session works on both.
func TestOIDCCallbackWorksOnAnotherInstance(t *testing.T) {
	redisURL := testRedisURL(t)
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	p := oidctest.New(t, oidctest.Options{ClientID: "gateway", ClientSecret: "gw-secret"})
	site := strings.NewReplacer("{ISSUER}", p.Issuer(), "{UPSTREAM}", echoUpstream(t).URL,
		"{OIDC}", "", "{GLOBAL}", "", "store bolt {STORAGE}/sessions.db", "store redis "+redisURL+" {\n timeout 3s\n }", "{SESSION}", "").Replace(oidcSite)
	a := startGateway(t, site)
	// Both instances are configured with the public callback URL: A's.
	b := startSecondInstance(t, strings.NewReplacer("{STORAGE}", a.storage,
		"callback_url http://127.0.0.1:{PORT}", "callback_url "+a.base).Replace(site))
	p.AllowRedirect(a.base + "/.authgate/callback")
	p.AutoLogin("alice")

	br := newBrowser(t)
	_, cb := br.navigate(a.base+"/start", atCallback)
	// The load balancer sends the callback to instance B; the browser
	// still addresses A's origin.
	onB := strings.Replace(cb, a.base, b, 1)
	r := br.do("GET", onB, "", "Accept: text/html", "Host: "+strings.TrimPrefix(a.base, "http://"))
	if r.status != http.StatusSeeOther || r.header.Get("Location") != a.base+"/start" {
		t.Fatalf("callback on B: status %d, Location %q, body %s", r.status, r.header.Get("Location"), r.body)
	}
	for _, base := range []string{a.base, b} {
		got := br.do("GET", base+"/api/me", "")
		if got.status != http.StatusOK || got.upstream.Get("X-Auth-User-Id") != "alice" {
			t.Fatalf("session on %s: status %d", base, got.status)
		}
	}
}
