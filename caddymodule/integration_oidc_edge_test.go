package caddymodule

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/internal/oidctest"
)

// loginCookiePrefix starts the name of every (Secure) login-state cookie.
const loginCookiePrefix = "__Host-authgate_login_"

func TestOIDCLoginLoopBreakerStopsBrowsersThatDropTheSession(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	e.p.AutoLogin("alice")
	b := newBrowser(t)
	for i := range 3 { // the README's number, not the constant: changing it is a visible change
		// Each navigation still goes round the provider to the callback.
		_, cb := b.navigate(e.g.base+"/home", atCallback)
		if !strings.HasPrefix(cb, e.g.base+"/.authgate/callback?") {
			t.Fatalf("navigation %d ended at %s, want a login through the provider", i+1, withoutQuery(cb))
		}
		wantStatus(t, b.open(cb), http.StatusSeeOther)
		b.dropCookie(e.g.base, sessionCookieName) // as a browser drops a Secure cookie on http
	}
	wantLoginFailure(t, b.open(e.g.base+"/home"), http.StatusUnauthorized, reasonLoginLoop)

	wantLoginStartsAt(t, b.open(e.g.base+"/.authgate/login?redirect_uri=/home"), e.p.Issuer())
	wantStatus(t, b.do("POST", e.g.base+"/.authgate/logout", ""), http.StatusNoContent)
	wantLoginStartsAt(t, b.open(e.g.base+"/home"), e.p.Issuer())
}

func TestOIDCRepeatedLoginsOfABrowserThatKeepsItsSessionAreNoLoop(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	b := e.loggedIn(t, "alice")
	for range 3 { // logins in other tabs: the browser brings its session each time
		if _, at := b.navigate(e.g.base+"/.authgate/login?redirect_uri=/home", nil); at != e.g.base+"/home" {
			t.Fatalf("login ended at %s", at)
		}
	}
	// The session is then ended by the provider: the next page starts a
	// login, as it should, rather than the login_loop page.
	wantStatus(t, e.backchannel(t, e.p.LogoutToken("alice", "", nil)), http.StatusOK)
	r := b.open(e.g.base + "/home")
	if r.status != http.StatusFound || !strings.HasPrefix(r.header.Get("Location"), e.p.Issuer()+"/authorize") {
		t.Fatalf("status %d to %q, want a new login", r.status, r.header.Get("Location"))
	}
}

func TestOIDCHangingProviderGivesEveryNavigationAPromptPage(t *testing.T) {
	issuer := hangingServer(t)
	site := strings.NewReplacer("{ISSUER}", issuer, "{UPSTREAM}", echoUpstream(t).URL,
		"{OIDC}", "timeout 3s", "{SESSION}", "", "{GLOBAL}", "").Replace(oidcSite)
	g := startGateway(t, site)
	// Shorter than the provider timeout: a navigation that waits for the
	// hanging discovery, or queues behind another's, fails here.
	client := &http.Client{Timeout: 2500 * time.Millisecond}
	for wave := range 3 {
		got := make([]string, 4)
		var wg sync.WaitGroup
		for i := range got {
			req := newRequest(t, "GET", fmt.Sprintf("%s/page%d", g.base, i), "", "Accept: text/html", "Sec-Fetch-Mode: navigate")
			wg.Go(func() { got[i] = fetchReason(client, req) })
		}
		wg.Wait()
		for i, r := range got {
			if r != "503 "+reasonProviderUnavailable {
				t.Errorf("wave %d, navigation %d: %s, want a prompt 503 %s page", wave, i, r, reasonProviderUnavailable)
			}
		}
	}
}

// providerB is a second oidc block for oidcSite's {GLOBAL}: another
// issuer, client and callback path, and its own subjects.
const providerB = `oidc b {
			issuer {ISSUER_B}
			client_id gateway-b
			client_secret b-secret
			subject_template b:{sub}
			callback_url http://127.0.0.1:{PORT}/cb/b http://127.0.0.1:{PLAIN}/cb/b
		}`

func TestOIDCTwoProvidersAreKeptApart(t *testing.T) {
	corp := oidctest.New(t, oidctest.Options{ClientID: "gateway", ClientSecret: "gw-secret"})
	pb := oidctest.New(t, oidctest.Options{ClientID: "gateway-b", ClientSecret: "b-secret"})
	up := echoUpstream(t).URL
	// oidcSite logs browsers in at corp; a second site has no `login oidc`.
	plainPort := freePort(t)
	plain := fmt.Sprintf("http://127.0.0.1:%d", plainPort)
	g := startGateway(t, strings.NewReplacer("{ISSUER}", corp.Issuer(), "{UPSTREAM}", up, "{SESSION}", "",
		"{OIDC}", fmt.Sprintf("subject_template corp:{sub}\n\t\t\tcallback_url %s/.authgate/callback", plain),
		"{GLOBAL}", strings.NewReplacer("{ISSUER_B}", pb.Issuer(), "{PLAIN}", fmt.Sprint(plainPort)).Replace(providerB),
	).Replace(oidcSite)+plain+" {\n\tauthgate\n\treverse_proxy "+up+"\n}\n")
	corp.AllowRedirect(g.base + "/.authgate/callback")
	pb.AllowRedirect(g.base + "/cb/b") // loopback redirect URIs match on any port
	corp.AutoLogin("alice")
	pb.AutoLogin("alice")

	t.Run("provider b's state and code at corp's callback are refused", func(t *testing.T) {
		b := newBrowser(t)
		_, cb := b.navigate(plain+"/.authgate/login?provider=b&redirect_uri=/x", func(u *url.URL) bool { return u.Path == "/cb/b" })
		if !strings.HasPrefix(cb, plain+"/cb/b?") {
			t.Fatalf("login at b stopped at %s", withoutQuery(cb))
		}
		exchanges := corp.TokenRequests() + pb.TokenRequests()
		mixed := strings.Replace(cb, plain+"/cb/b?", g.base+"/.authgate/callback?", 1)
		wantLoginFailure(t, b.open(mixed), http.StatusBadRequest, reasonInvalidState)
		if b.cookie(g.base, sessionCookieName) != "" || corp.TokenRequests()+pb.TokenRequests() != exchanges {
			t.Fatal("a mixed-up callback exchanged a code or minted a session")
		}
	})
	t.Run("?provider=b on a route without login oidc logs in at b", func(t *testing.T) {
		b := newBrowser(t)
		r := b.open(plain + "/.authgate/login?provider=b&redirect_uri=/x")
		wantLoginStartsAt(t, r, pb.Issuer())
		page, at := b.navigate(r.header.Get("Location"), nil)
		if at != plain+"/x" || page.upstream.Get("X-Auth-User-Id") != "b:alice" {
			t.Fatalf("ended at %s as %q", at, page.upstream.Get("X-Auth-User-Id"))
		}
	})
	t.Run("an unknown ?provider= on a route without login oidc is a 404 page", func(t *testing.T) {
		wantLoginFailure(t, newBrowser(t).open(plain+"/.authgate/login?provider=nope"), http.StatusNotFound, reasonUnknownProvider)
	})
	t.Run("?provider=b on a route with login oidc corp logs in at corp", func(t *testing.T) {
		b := newBrowser(t)
		r := b.open(g.base + "/.authgate/login?provider=b&redirect_uri=/y")
		wantLoginStartsAt(t, r, corp.Issuer())
		page, at := b.navigate(r.header.Get("Location"), nil)
		if at != g.base+"/y" || page.upstream.Get("X-Auth-User-Id") != "corp:alice" {
			t.Fatalf("ended at %s as %q", at, page.upstream.Get("X-Auth-User-Id"))
		}
	})
}

func TestOIDCAbandonedLoginCookiesDoNotPileUp(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	b := newBrowser(t)
	const tabs = 8 // the README's number
	for i := range tabs {
		wantLoginStartsAt(t, b.open(fmt.Sprintf("%s/tab%d", e.g.base, i)), e.p.Issuer())
	}
	if n := b.cookiesWithPrefix(e.g.base, loginCookiePrefix); n != tabs {
		t.Fatalf("%d login cookies after %d abandoned logins, want one each", n, tabs)
	}
	r := b.open(e.g.base + "/last")
	wantLoginStartsAt(t, r, e.p.Issuer())
	if n := b.cookiesWithPrefix(e.g.base, loginCookiePrefix); n != 1 {
		t.Fatalf("%d login cookies after one more login, want only its own", n)
	}
	e.p.AutoLogin("alice")
	if _, at := b.navigate(r.header.Get("Location"), nil); at != e.g.base+"/last" {
		t.Fatalf("the surviving login ended at %s", at)
	}
}

func TestOIDCLoginCookiesNeverReachTheApp(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	b := e.loggedIn(t, "alice")
	wantLoginStartsAt(t, b.open(e.g.base+"/.authgate/login?redirect_uri=/later"), e.p.Issuer()) // another tab
	b.setCookie(e.g.base, "app_pref", "dark")
	if b.cookiesWithPrefix(e.g.base, loginCookiePrefix) != 1 || b.cookie(e.g.base, loginLoopCookie) == "" {
		t.Fatal("setup: the browser should hold a pending login cookie and the login counter")
	}
	for _, path := range []string{"/api/me", "/home"} {
		page := b.open(e.g.base + path)
		wantStatus(t, page, http.StatusOK)
		var names []string
		for _, line := range page.upstream.Values("Cookie") {
			cs, _ := http.ParseCookie(line)
			for _, c := range cs {
				names = append(names, c.Name) // names only: values are secrets
			}
		}
		if all := strings.Join(names, " "); strings.Contains(all, loginCookieMark) || !strings.Contains(all, "app_pref") {
			t.Fatalf("%s: the app got cookies %q, want app_pref and no login cookie", path, names)
		}
	}
}

func TestOIDCVeryLongReturnURLsStillLogIn(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	e.p.AutoLogin("alice")
	for _, tc := range []struct {
		name  string
		query int
		lands string // "" for the page itself
	}{
		{"a return URL under 2 KiB is kept", 1800, ""},
		{"a return URL over 2 KiB becomes the site root", 2500, "/"},
		{"a return URL too large for the cookie becomes the site root", 3000, "/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := e.g.base + "/search?q=" + strings.Repeat("a", tc.query)
			want := start
			if tc.lands != "" {
				want = e.g.base + tc.lands
			}
			page, at := newBrowser(t).navigate(start, nil)
			if at != want || page.upstream.Get("X-Auth-User-Id") != "alice" {
				t.Fatalf("login ended at %.60s… (%d chars) with %d, want %.60s…", at, len(at), page.status, want)
			}
		})
	}
}

func TestOIDCCallbackChecksTheReturnURLAgain(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	e.p.AutoLogin("alice")
	codec, err := loadLoginCodec(context.Background(), &certmagic.FileStorage{Path: e.g.storage})
	if err != nil {
		t.Fatal(err)
	}
	offSite := func(u *url.URL) bool { return u.Hostname() != "127.0.0.1" }
	for _, tc := range []struct{ sealed, lands string }{
		{e.g.base + "/kept", e.g.base + "/kept"}, // the resealed cookie is the one used
		{"https://evil.example/", e.g.base + "/"},
		{"//evil.example/", e.g.base + "/"},
		{"/\\evil.example/", e.g.base + "/"},
		{"https:evil.example", e.g.base + "/"},
	} {
		b := newBrowser(t)
		_, auth := b.navigate(e.g.base+"/x", atProvider)
		name, value := loginCookieOf(b, e.g.base, auth)
		ls, err := codec.open(name, value)
		if err != nil {
			t.Fatalf("opening the login cookie: %v", err)
		}
		ls.Return = tc.sealed
		resealed, err := codec.seal(name, ls)
		if err != nil {
			t.Fatal(err)
		}
		b.setCookie(e.g.base, name, resealed)
		if _, at := b.navigate(auth, offSite); at != tc.lands {
			t.Errorf("a login cookie returning to %q sent the browser to %s, want %s", tc.sealed, at, tc.lands)
		}
	}
}

func TestOIDCCallbackFromAnotherIssuerIsRefused(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	e.p.AutoLogin("alice")
	b := newBrowser(t)
	_, cb := b.navigate(e.g.base+"/x", atCallback)
	wantLoginFailure(t, b.open(withQuery(t, cb, "iss", "https://evil.example")), http.StatusBadRequest, reasonInvalidState)
	if b.cookie(e.g.base, sessionCookieName) != "" {
		t.Fatal("a callback from another issuer minted a session")
	}
	// The provider's own iss passes.
	_, cb = b.navigate(e.g.base+"/x", atCallback)
	if _, at := b.navigate(withQuery(t, cb, "iss", e.p.Issuer()), nil); at != e.g.base+"/x" {
		t.Fatalf("a callback with the provider's iss ended at %s", withoutQuery(at))
	}
}

func TestOIDCBackchannelLogoutWorksWhileTheProviderIsDown(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	alice := e.loggedIn(t, "alice")
	sid := e.p.SID("alice")
	e.p.Stop()

	noIAT := e.p.LogoutToken("alice", sid, func(c jwt.MapClaims) { delete(c, "iat") })
	wantReason(t, e.backchannel(t, noIAT), http.StatusBadRequest, "invalid_logout_token")
	if !e.inApp(alice) {
		t.Fatal("a logout token without iat revoked the session")
	}
	wantStatus(t, e.backchannel(t, e.p.LogoutToken("alice", sid, nil)), http.StatusOK)
	if e.inApp(alice) {
		t.Fatal("the session survived a back-channel logout while the provider was down")
	}
}

// dropCookie deletes a cookie from the browser, as a browser does with a
// cookie it will not keep.
func (b *browser) dropCookie(base, name string) {
	u, _ := url.Parse(base)
	b.jar.SetCookies(u, []*http.Cookie{{Name: name, Path: "/", MaxAge: -1}})
}

// wantLoginStartsAt checks r sends the browser to issuer's authorization
// endpoint.
func wantLoginStartsAt(t *testing.T, r response, issuer string) {
	t.Helper()
	if loc := r.header.Get("Location"); r.status != http.StatusFound || !strings.HasPrefix(loc, issuer+"/authorize?") {
		t.Fatalf("status %d to %q, want a login at %s; body %s", r.status, withoutQuery(loc), issuer, r.body)
	}
}

// withoutQuery drops the query (state, code) from a URL for messages.
func withoutQuery(rawURL string) string {
	u, _, _ := strings.Cut(rawURL, "?")
	return u
}

// hangingServer returns the URL of a listener that accepts connections and
// reads them, never answering, until the client gives up.
func hangingServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for c, err := l.Accept(); err == nil; c, err = l.Accept() {
			go func() { _, _ = io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	return "http://" + l.Addr().String()
}

// fetchReason sends req and describes the answer as "STATUS reason" (the
// reason from a login page), or the error. It runs off the test goroutine.
func fetchReason(c *http.Client, req *http.Request) string {
	resp, err := c.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	_, reason, _ := strings.Cut(string(body), `<code id="reason">`)
	reason, _, _ = strings.Cut(reason, "</code>")
	return fmt.Sprintf("%d %s", resp.StatusCode, reason)
}
