package caddymodule

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/oidctest"
)

// oidcSite is a gateway whose app routes log browsers in at the "corp"
// provider, while /api/ answers 401. {OIDC} adds oidc options, {GLOBAL}
// authgate options, {SESSION} session options.
const oidcSite = `{
	admin off
	storage file_system {STORAGE}
	authgate {
		oidc corp {
			issuer {ISSUER}
			client_id gateway
			client_secret gw-secret
			` + defaultCallbackURL + `
			{OIDC}
		}
		session {
			store bolt {STORAGE}/sessions.db
			{SESSION}
		}
		{GLOBAL}
	}
}
http://127.0.0.1:{PORT} {
	handle /api/* {
		authgate
		reverse_proxy {UPSTREAM}
	}
	handle {
		authgate {
			login oidc corp
		}
		reverse_proxy {UPSTREAM}
	}
}
`

// oidcEnv is a gateway in front of an echo upstream, logging in at a real
// (fosite) OpenID provider.
type oidcEnv struct {
	g *gateway
	p *oidctest.Provider
}

// defaultCallbackURL is oidcSite's callback_url line; startOIDC drops it
// when the {OIDC} options bring their own.
const defaultCallbackURL = "callback_url http://127.0.0.1:{PORT}/.authgate/callback"

// startOIDC starts a provider and a gateway using it; fill replaces the
// {OIDC}, {SESSION} and {GLOBAL} markers (in that order; missing: empty).
func startOIDC(t *testing.T, opts oidctest.Options, fill ...string) *oidcEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	if opts.ClientID == "" {
		opts.ClientID, opts.ClientSecret = "gateway", "gw-secret"
	}
	p := oidctest.New(t, opts)
	site := strings.ReplaceAll(oidcSite, "{ISSUER}", p.Issuer())
	if len(fill) > 0 && strings.Contains(fill[0], "callback_url") {
		site = strings.Replace(site, defaultCallbackURL, "", 1)
	}
	site = strings.ReplaceAll(site, "{UPSTREAM}", echoUpstream(t).URL)
	for i, marker := range []string{"{OIDC}", "{SESSION}", "{GLOBAL}"} {
		v := ""
		if i < len(fill) {
			v = fill[i]
		}
		site = strings.ReplaceAll(site, marker, v)
	}
	g := startGateway(t, site)
	p.AllowRedirect(g.base + "/.authgate/callback")
	return &oidcEnv{g: g, p: p}
}

// browser is an HTTP client that keeps cookies like a browser and sends
// navigation headers. It never follows redirects by itself: tests step
// through them, or let navigate follow them.
type browser struct {
	t   *testing.T
	jar *cookiejar.Jar
	c   *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, jar: jar, c: &http.Client{
		Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends one request; headers are "Name: value" lines.
func (b *browser) do(method, rawURL, body string, headers ...string) response {
	b.t.Helper()
	resp, err := b.c.Do(newRequest(b.t, method, rawURL, body, headers...))
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	return readResponse(b.t, resp)
}

// open is one top-level navigation, without following its redirect.
func (b *browser) open(rawURL string) response {
	b.t.Helper()
	return b.do("GET", rawURL, "", "Accept: text/html", "Sec-Fetch-Mode: navigate")
}

// navigate opens rawURL and follows redirects until a page is shown or
// stop says to halt at a URL (which is then returned unvisited).
func (b *browser) navigate(rawURL string, stop func(*url.URL) bool) (response, string) {
	b.t.Helper()
	for range 20 {
		u, err := url.Parse(rawURL)
		if err != nil {
			b.t.Fatal(err)
		}
		if stop != nil && stop(u) {
			return response{}, rawURL
		}
		r := b.open(rawURL)
		loc := r.header.Get("Location")
		if r.status < 300 || r.status > 399 || loc == "" {
			return r, rawURL
		}
		next, err := u.Parse(loc)
		if err != nil {
			b.t.Fatal(err)
		}
		rawURL = next.String()
	}
	b.t.Fatalf("more than 20 redirects from %s", rawURL)
	return response{}, ""
}

// cookie returns the value of a cookie the browser holds for base.
func (b *browser) cookie(base, name string) string {
	u, _ := url.Parse(base)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// cookiesWithPrefix counts the browser's cookies for base named prefix…
func (b *browser) cookiesWithPrefix(base, prefix string) int {
	u, _ := url.Parse(base)
	n := 0
	for _, c := range b.jar.Cookies(u) {
		if strings.HasPrefix(c.Name, prefix) {
			n++
		}
	}
	return n
}

// setCookie puts a cookie into the browser for base.
func (b *browser) setCookie(base, name, value string) {
	u, _ := url.Parse(base)
	b.jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// atCallback stops navigation at the gateway's callback, to look at or
// alter it.
func atCallback(u *url.URL) bool { return u.Path == "/.authgate/callback" }

// atProvider stops navigation at the provider's authorization endpoint.
func atProvider(u *url.URL) bool { return u.Path == "/authorize" }

// login runs a whole login as sub from a navigation to path and returns
// the page the browser ends on.
func (e *oidcEnv) login(b *browser, sub, path string) (response, string) {
	e.p.AutoLogin(sub)
	return b.navigate(e.g.base+path, nil)
}

// loginCookieOf returns the login cookie a browser got for an
// authorization URL's state.
func loginCookieOf(b *browser, base, authorizeURL string) (string, string) {
	u, _ := url.Parse(authorizeURL)
	name := newLoginCookies(true).name(u.Query().Get("state"))
	return name, b.cookie(base, name)
}

// withQuery returns rawURL with one query parameter replaced.
func withQuery(t *testing.T, rawURL, name, value string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// wantLoginFailure checks a login error page: status, reason, no redirect.
func wantLoginFailure(t *testing.T, r response, status int, reason string) {
	t.Helper()
	wantStatus(t, r, status)
	if r.header.Get("Location") != "" || !strings.Contains(r.body, `<code id="reason">`+reason+`</code>`) {
		t.Fatalf("want a %s page without redirect, got Location %q body %s", reason, r.header.Get("Location"), r.body)
	}
}
