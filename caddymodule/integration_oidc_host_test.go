package caddymodule

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/authgate/authgate/internal/oidctest"
)

// startAnyHostOIDC is oidcSite served for every Host (as a site on a bare
// port is), with callback URLs for 127.0.0.1 and localhost.
func startAnyHostOIDC(t *testing.T) *oidcEnv {
	t.Helper()
	p := oidctest.New(t, oidctest.Options{ClientID: "gateway", ClientSecret: "gw-secret"})
	site := strings.NewReplacer("{ISSUER}", p.Issuer(), "{UPSTREAM}", echoUpstream(t).URL,
		"{OIDC}", "callback_url http://localhost:{PORT}/.authgate/callback", "{SESSION}", "", "{GLOBAL}", "",
		"http://127.0.0.1:{PORT} {", "http://:{PORT} {").Replace(oidcSite)
	g := startGateway(t, site)
	p.AllowRedirect(g.base + "/.authgate/callback")
	p.AllowRedirect(strings.Replace(g.base, "127.0.0.1", "localhost", 1) + "/.authgate/callback")
	return &oidcEnv{g: g, p: p}
}

// TestOIDCRedirectURIComesFromConfigNeverFromHost: a login asked for with
// a foreign Host (or forwarded headers) must not hand the provider a
// redirect_uri on that host, where a provider that does not match
// redirect URIs exactly would send the user's code.
func TestOIDCRedirectURIComesFromConfigNeverFromHost(t *testing.T) {
	e := startAnyHostOIDC(t)
	for _, tc := range []struct {
		name    string
		headers []string
	}{
		{"/.authgate/login with Host evil.example", []string{"Host: evil.example"}},
		{"/.authgate/login with Host evil.example and a port", []string{"Host: evil.example:443"}},
		{"/.authgate/login with Host 127.0.0.1 on another port", []string{"Host: 127.0.0.1:1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t)
			r := b.do("GET", e.g.base+"/.authgate/login?redirect_uri=/x", "", append(tc.headers, "Accept: text/html")...)
			wantLoginFailure(t, r, http.StatusBadRequest, reasonUnknownHost)
			if strings.Contains(r.header.Get("Set-Cookie"), loginCookieMark+"_") {
				t.Fatal("a refused login set a login cookie")
			}
		})
	}
	t.Run("a protected navigation with Host evil.example", func(t *testing.T) {
		r := newBrowser(t).do("GET", e.g.base+"/home", "", "Host: evil.example", "Accept: text/html", "Sec-Fetch-Mode: navigate")
		wantLoginFailure(t, r, http.StatusBadRequest, reasonUnknownHost)
	})
	t.Run("forwarded headers from an untrusted client change nothing", func(t *testing.T) {
		r := newBrowser(t).do("GET", e.g.base+"/.authgate/login", "", "Accept: text/html",
			"X-Forwarded-Host: evil.example", "X-Forwarded-Proto: https", "Forwarded: host=evil.example;proto=https")
		wantStatus(t, r, http.StatusFound)
		if got := redirectURIOf(t, r); got != e.g.base+"/.authgate/callback" {
			t.Fatalf("redirect_uri %s", got)
		}
	})
	t.Run("each configured host gets its own callback URL", func(t *testing.T) {
		local := strings.Replace(e.g.base, "127.0.0.1", "localhost", 1)
		r := newBrowser(t).do("GET", e.g.base+"/.authgate/login", "", "Accept: text/html", "Host: "+strings.TrimPrefix(local, "http://"))
		if got := redirectURIOf(t, r); got != local+"/.authgate/callback" {
			t.Fatalf("redirect_uri %s", got)
		}
	})
}

// TestOIDCCallbackRefusesAnotherOrigin: code and state issued for one of
// the gateway's origins, replayed with their login cookie at the real
// callback of another origin, are refused before any store write or call
// to the provider; the real callback still works afterwards.
func TestOIDCCallbackRefusesAnotherOrigin(t *testing.T) {
	e := startAnyHostOIDC(t)
	e.p.AutoLogin("alice")
	local := strings.Replace(e.g.base, "127.0.0.1", "localhost", 1)
	b := newBrowser(t)
	_, cb := b.navigate(local+"/home", atCallback)
	if !strings.HasPrefix(cb, local+"/.authgate/callback?") {
		t.Fatalf("login stopped at %s", withoutQuery(cb))
	}
	u, _ := url.Parse(cb)
	name := newLoginCookies(true).name(u.Query().Get("state"))
	cookie := name + "=" + b.cookie(local, name)
	exchanges := e.p.TokenRequests()

	for _, host := range []string{strings.TrimPrefix(e.g.base, "http://"), "evil.example"} {
		r := send(t, e.g.base, "GET", "/.authgate/callback?"+u.RawQuery, "", "Host: "+host, "Cookie: "+cookie, "Accept: text/html")
		wantLoginFailure(t, r, http.StatusBadRequest, reasonOriginMismatch)
		if strings.Contains(r.header.Get("Set-Cookie"), sessionCookieName+"=") && !strings.Contains(r.header.Get("Set-Cookie"), "Max-Age=0") {
			t.Fatalf("a replay on %s set a session cookie", host)
		}
	}
	if n := e.p.TokenRequests(); n != exchanges {
		t.Fatalf("replays on other origins made %d token requests", n-exchanges)
	}
	// The replays spent nothing: the browser's own callback still logs in.
	page, at := b.navigate(cb, nil)
	if at != local+"/home" || page.upstream.Get("X-Auth-User-Id") != "alice" {
		t.Fatalf("the real callback ended at %s with %d", at, page.status)
	}
}

// redirectURIOf returns the redirect_uri of a login redirect.
func redirectURIOf(t *testing.T, r response) string {
	t.Helper()
	loc, err := url.Parse(r.header.Get("Location"))
	if err != nil || loc.Path != "/authorize" {
		t.Fatalf("status %d, Location %q, body %s", r.status, r.header.Get("Location"), r.body)
	}
	return loc.Query().Get("redirect_uri")
}
