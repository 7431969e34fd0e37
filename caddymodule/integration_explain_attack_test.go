package caddymodule

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/authgate/authgate/explain"
	"github.com/authgate/authgate/internal/oidctest"
)

// TestExplainOfADuplicatedCookieStartsNoLogin: a browser navigation
// carrying a (non-__Host-) session cookie twice is answered with the
// cookie expired and the route's login. Explaining it must describe that
// login, not start it: a started login seals a state and spends the
// client's login budget (login_limit 1 here), so the real navigation after
// two explanations would get 429.
func TestExplainOfADuplicatedCookieStartsNoLogin(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	p := oidctest.New(t, oidctest.Options{ClientID: "gateway", ClientSecret: "gw-secret"})
	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	site := strings.NewReplacer("admin off", "admin "+admin, "{ISSUER}", p.Issuer(), "{OIDC}", "login_limit 1 1m",
		"{SESSION}", "cookie gw_session\n\t\t\tinsecure_cookie", "{GLOBAL}", "", "{UPSTREAM}", echoUpstream(t).URL).Replace(oidcSite)
	g := startGateway(t, site)
	p.AllowRedirect(g.base + "/.authgate/callback")

	d := explain.Request{URL: g.base + "/page", Cookies: []string{"gw_session=a", "gw_session=b"},
		Headers: []string{"Accept: text/html", "Sec-Fetch-Mode: navigate", "Sec-Fetch-Dest: document"}}
	body, _ := json.Marshal(d)
	for range 2 {
		r := send(t, "http://"+admin, "POST", "/authgate/explain", string(body), jsonCT)
		wantStatus(t, r, http.StatusOK)
		var tr explain.Trace
		if err := json.Unmarshal([]byte(r.body), &tr); err != nil {
			t.Fatal(err)
		}
		if tr.Decision.Outcome != explain.OutcomeRedirected || strings.Contains(r.body, "state=") || strings.Contains(r.body, p.Issuer()) {
			t.Fatalf("explaining a duplicated cookie: %s; want the login described, not started", r.body)
		}
	}
	real := send(t, g.base, "GET", "/page", "", "Accept: text/html", "Sec-Fetch-Mode: navigate", "Sec-Fetch-Dest: document")
	if real.status != http.StatusFound || !strings.Contains(real.header.Get("Location"), "state=") {
		t.Fatalf("the real navigation after two explanations got %d %s; the explanations spent the login budget", real.status, real.header.Get("Location"))
	}
}

// TestExplainTraceHoldsNoQueryOrUserinfo: a described URL's query and its
// user:password never appear in the trace, not even inside a login_url
// redirect's return address.
func TestExplainTraceHoldsNoQueryOrUserinfo(t *testing.T) {
	g := startExplainGateway(t)
	base := strings.Replace(g.base, "http://", "http://alice:pa55word@", 1)
	tr, raw := g.explainLive(explain.Request{URL: base + "/app/page?code=s3cr3t#frag",
		Headers: []string{"Accept: text/html", "Sec-Fetch-Mode: navigate"}})
	wantOutcome(t, tr, explain.OutcomeRedirected, http.StatusFound)
	for _, secret := range []string{"s3cr3t", "pa55word", "alice", "frag"} {
		if strings.Contains(raw, secret) {
			t.Errorf("the trace shows %q: %s", secret, raw)
		}
	}
	if !strings.HasPrefix(tr.Decision.Location, "https://login.example.com/?redirect_uri=") || tr.Request.URL != g.base+"/app/page?…" {
		t.Errorf("location %q, url %q", tr.Decision.Location, tr.Request.URL)
	}
}
