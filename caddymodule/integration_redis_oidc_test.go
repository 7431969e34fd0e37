package caddymodule

import (
	"net/http"
	"strings"
	"testing"

	"github.com/authgate/authgate/internal/oidctest"
	"github.com/authgate/authgate/session/sessiontest"
)

// A login begun before Redis lost its data has lost its one-time state
// marker: its callback could be replayed, so it is refused (the browser
// starts a new login); logins begun after the loss work.
func TestOIDCCallbackBegunBeforeARedisLossIsRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	rp := sessiontest.StartRedis(t)
	p := oidctest.New(t, oidctest.Options{ClientID: "gateway", ClientSecret: "gw-secret"})
	site := strings.NewReplacer("{ISSUER}", p.Issuer(), "{UPSTREAM}", echoUpstream(t).URL,
		"store bolt {STORAGE}/sessions.db", "store redis "+rp.URL(), "{OIDC}", "", "{SESSION}", "", "{GLOBAL}", "").Replace(oidcSite)
	g := startGateway(t, site)
	p.AllowRedirect(g.base + "/.authgate/callback")
	p.AutoLogin("alice")

	b := newBrowser(t)
	_, auth := b.navigate(g.base+"/x", atProvider)
	_, cb := b.navigate(auth, atCallback)
	rp.Restart()
	wantLoginFailure(t, b.open(cb), http.StatusBadRequest, reasonStateReused)

	if _, at := newBrowser(t).navigate(g.base+"/x", nil); at != g.base+"/x" {
		t.Fatalf("a login begun after the loss ended at %s", at)
	}
}
