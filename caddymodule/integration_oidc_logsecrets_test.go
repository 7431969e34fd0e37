package caddymodule

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authgate/authgate/internal/oidctest"
)

// oidcAccessLog is the access log of the OIDC test site, as
// docs/security.md advises for a site with browser logins: the callback's
// one-time authorization code dropped from the logged URI.
const oidcAccessLog = `
	log {
		output file {ACCESS} {
			roll_disabled
		}
		format filter {
			wrap json
			fields {
				request>uri query {
					delete code
				}
			}
		}
	}
`

// A whole browser login at a real provider (redirect, callback, code
// exchange, session cookie, a request with it) writes no secret into any
// log line, access log and debug log alike: not the client secret, the
// session cookie, the login-state cookie, the provider's tokens, nor,
// with the documented access-log filter, the authorization code (Caddy
// logs the callback's full URI; authgate's own lines never hold it).
func TestOIDCLoginLogsNoSecret(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	logs := newCaddyLog(t)
	access := filepath.Join(t.TempDir(), "access.log")
	const clientSecret = "gw-secret-do-not-log"
	p := oidctest.New(t, oidctest.Options{ClientID: "gateway", ClientSecret: clientSecret})
	site := strings.NewReplacer("admin off", "admin off\n\t"+logs.option(),
		"client_secret gw-secret", "client_secret "+clientSecret,
		"http://127.0.0.1:{PORT} {\n", "http://127.0.0.1:{PORT} {"+strings.ReplaceAll(oidcAccessLog, "{ACCESS}", access),
		"{ISSUER}", p.Issuer(), "{UPSTREAM}", echoUpstream(t).URL,
		"{OIDC}", "", "{SESSION}", "", "{GLOBAL}", "").Replace(oidcSite)
	g := startGateway(t, site)
	p.AllowRedirect(g.base + "/.authgate/callback")

	b := newBrowser(t)
	p.AutoLogin("alice")
	_, callback := b.navigate(g.base+"/app/page", atCallback)
	code := mustQuery(t, callback, "code")
	if r, _ := b.navigate(callback, nil); r.status != 200 || p.TokenRequests() != 1 {
		t.Fatalf("login ended with %d after %d token requests", r.status, p.TokenRequests())
	}
	wantStatus(t, b.open(g.base+"/app/again"), 200)

	secrets := map[string]string{"the client secret": clientSecret, "the authorization code": code}
	base, _ := url.Parse(g.base)
	for _, c := range b.jar.Cookies(base) {
		secrets["cookie "+c.Name] = c.Value
	}
	if _, ok := secrets["cookie "+sessionCookieName]; !ok {
		t.Fatalf("no session cookie after the login: %v", b.jar.Cookies(base))
	}
	accessEntry(t, access, "/app/again") // the last line is written
	all, err := os.ReadFile(access)
	if err != nil {
		t.Fatal(err)
	}
	text := string(all) + logs.text()
	if !strings.Contains(text, `"uri":"/.authgate/callback?`) {
		t.Fatal("the access log has no line of the callback")
	}
	for what, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("a log line holds %s", what)
		}
	}
	// The provider's ID and access tokens: a JWT, or fosite's opaque form.
	for _, prefix := range []string{"eyJ", "ory_at_", "ory_rt_", "ory_ac_"} {
		if strings.Contains(text, prefix) {
			t.Errorf("a log line holds a provider token (%s…)", prefix)
		}
	}
}

func mustQuery(t *testing.T, rawURL, name string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil || u.Query().Get(name) == "" {
		t.Fatalf("%s has no %s (%v)", rawURL, name, err)
	}
	return u.Query().Get(name)
}
