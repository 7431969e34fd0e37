package caddymodule

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/authgate/authgate/internal/oidctest"
)

func TestOIDCLoginReachesTheAppWithTheProvidersClaims(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	e.p.SetUser("alice", map[string]any{"email": "alice@example.com", "roles": []any{"editor", "viewer"}})
	b := newBrowser(t)

	first := b.open(e.g.base + "/reports/q3?year=2026")
	wantStatus(t, first, http.StatusFound)
	auth, err := url.Parse(first.header.Get("Location"))
	if err != nil || !strings.HasPrefix(auth.String(), e.p.Issuer()+"/authorize") {
		t.Fatalf("navigation went to %q, want the provider", first.header.Get("Location"))
	}
	q := auth.Query()
	if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) < 43 || len(q.Get("state")) < 43 ||
		len(q.Get("nonce")) < 43 || q.Get("redirect_uri") != e.g.base+"/.authgate/callback" ||
		q.Get("scope") != "openid email profile" || q.Get("client_id") != "gateway" || q.Get("response_type") != "code" {
		t.Fatalf("authorization request: %v", q)
	}
	if first.header.Get("Cache-Control") != "no-store" {
		t.Fatal("the login redirect must not be cached")
	}

	e.p.AutoLogin("alice")
	page, at := b.navigate(auth.String(), nil)
	if at != e.g.base+"/reports/q3?year=2026" {
		t.Fatalf("ended at %s, want the page the login started from", at)
	}
	wantStatus(t, page, http.StatusOK)
	if got := page.upstream.Get("X-Auth-User-Id"); got != "alice" {
		t.Fatalf("X-Auth-User-Id = %q", got)
	}
	if page.upstream.Get("X-Auth-Email") != "alice@example.com" || page.upstream.Get("X-Auth-Roles") != "editor,viewer" {
		t.Fatalf("identity headers: %v", page.upstream)
	}
	if b.cookie(e.g.base, sessionCookieName) == "" {
		t.Fatal("no session cookie after login")
	}
	if n := b.cookiesWithPrefix(e.g.base, "__Host-authgate_login_"); n != 0 {
		t.Fatalf("%d login cookies left after the callback", n)
	}

	who := b.do("GET", e.g.base+"/.authgate/session", "")
	wantStatus(t, who, http.StatusOK)
	if strings.Contains(who.body, "eyJ") || strings.Contains(who.body, "nonce") || !strings.Contains(who.body, `"verifier":"oidc:corp"`) {
		t.Fatalf("whoami shows protocol data or tokens: %s", who.body)
	}
}

func TestOIDCAPIRequestsGet401NotALoginRedirect(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	b := newBrowser(t)
	for _, hdr := range [][]string{
		{"Accept: application/json"},
		{"Accept: text/html", "Sec-Fetch-Mode: cors"},
		{"Accept: text/html", "X-Requested-With: XMLHttpRequest"},
	} {
		r := b.do("GET", e.g.base+"/page", "", hdr...)
		wantReason(t, r, http.StatusUnauthorized, "missing_credential")
	}
	r := b.do("POST", e.g.base+"/page", "", "Accept: text/html")
	wantReason(t, r, http.StatusUnauthorized, "missing_credential")
}

func TestOIDCLoginsInSeveralTabsDoNotBreakEachOther(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	b := newBrowser(t)
	_, authA := b.navigate(e.g.base+"/a", atProvider)
	_, authB := b.navigate(e.g.base+"/b", atProvider)
	e.p.AutoLogin("alice")
	_, cbA := b.navigate(authA, atCallback)
	_, cbB := b.navigate(authB, atCallback)
	// Finish the second tab first, then the first.
	if _, at := b.navigate(cbB, nil); at != e.g.base+"/b" {
		t.Fatalf("tab B ended at %s", at)
	}
	page, at := b.navigate(cbA, nil)
	if at != e.g.base+"/a" || page.upstream.Get("X-Auth-User-Id") != "alice" {
		t.Fatalf("tab A ended at %s with %d", at, page.status)
	}
}

func TestOIDCCallbackRefusesForgedOrReplayedState(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	e.p.AutoLogin("alice")
	b := newBrowser(t)
	_, auth := b.navigate(e.g.base+"/x", atProvider)
	name, sealed := loginCookieOf(b, e.g.base, auth)
	_, cb := b.navigate(auth, atCallback)

	t.Run("a state this browser never started is refused", func(t *testing.T) {
		wantLoginFailure(t, b.open(withQuery(t, cb, "state", randomString())), http.StatusBadRequest, reasonInvalidState)
		wantLoginFailure(t, newBrowser(t).open(cb), http.StatusBadRequest, reasonInvalidState)
	})
	t.Run("a tampered login cookie is refused", func(t *testing.T) {
		tampered := []byte(sealed) // one character changed, still base64url
		tampered[10] = 'A'
		if sealed[10] == 'A' {
			tampered[10] = 'B'
		}
		other := newBrowser(t)
		other.setCookie(e.g.base, name, string(tampered))
		wantLoginFailure(t, other.open(cb), http.StatusBadRequest, reasonInvalidState)
	})
	t.Run("the real callback logs in once", func(t *testing.T) {
		if _, at := b.navigate(cb, nil); at != e.g.base+"/x" {
			t.Fatalf("ended at %s", at)
		}
	})
	t.Run("replaying the callback with its login cookie is refused", func(t *testing.T) {
		thief := newBrowser(t)
		thief.setCookie(e.g.base, name, sealed)
		r := thief.open(cb)
		wantLoginFailure(t, r, http.StatusBadRequest, reasonStateReused)
		if thief.cookie(e.g.base, sessionCookieName) != "" {
			t.Fatal("a replayed callback minted a session")
		}
	})
}

func TestOIDCCallbackRefusesAWrongNonce(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	e.p.AutoLogin("alice")
	b := newBrowser(t)
	_, auth := b.navigate(e.g.base+"/x", atProvider)
	// An attacker who swaps the nonce gets an ID token that belongs to
	// another login.
	r, _ := b.navigate(withQuery(t, auth, "nonce", randomString()), nil)
	wantLoginFailure(t, r, http.StatusUnauthorized, reasonNonceMismatch)
	if b.cookie(e.g.base, sessionCookieName) != "" {
		t.Fatal("session minted despite the nonce mismatch")
	}
}

// TestOIDCCallbackRefusesAReusedCode: a code already redeemed, presented
// in another login, is refused by the provider and shown as code_rejected.
// (The gateway cannot present it with its first login's verifier: that
// login's state is spent. internal/oidctest's TestCodeIsSingleUse shows the
// provider refuses a reused code even with the right verifier.)
func TestOIDCCallbackRefusesAReusedCode(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	e.p.AutoLogin("alice")
	b := newBrowser(t)
	_, auth := b.navigate(e.g.base+"/x", atProvider)
	_, cb := b.navigate(auth, atCallback)
	b.navigate(cb, nil)
	code := mustURL(t, cb).Query().Get("code")

	// A second login in another browser, completed with the first code.
	other := newBrowser(t)
	_, auth2 := other.navigate(e.g.base+"/y", atProvider)
	_, cb2 := other.navigate(auth2, atCallback)
	r := other.open(withQuery(t, cb2, "code", code))
	wantLoginFailure(t, r, http.StatusUnauthorized, reasonCodeRejected)
	if other.cookie(e.g.base, sessionCookieName) != "" {
		t.Fatal("a reused code minted a session")
	}
}

func TestOIDCProviderErrorIsAPageNotALoop(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	b := newBrowser(t)
	_, auth := b.navigate(e.g.base+"/x", atProvider)
	// The provider refuses the login: it sends the browser back with an
	// error instead of a code.
	state := mustURL(t, auth).Query().Get("state")
	r := b.open(e.g.base + "/.authgate/callback?error=access_denied&state=" + url.QueryEscape(state))
	wantLoginFailure(t, r, http.StatusUnauthorized, reasonProviderError)
}

func TestOIDCReturnURLCannotLeaveTheSite(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	e.p.AutoLogin("alice")
	for _, target := range []string{
		"https://evil.example/", "//evil.example/", "/\\evil.example/", "https:evil.example",
		"/%2F%2Fevil.example", "http://127.0.0.1.evil.example/", "javascript:alert(1)", "\t//evil.example",
	} {
		b := newBrowser(t)
		_, at := b.navigate(e.g.base+"/.authgate/login?redirect_uri="+url.QueryEscape(target), nil)
		if at != e.g.base+"/" {
			t.Errorf("redirect_uri %q: ended at %s, want the site root", target, at)
		}
	}
	b := newBrowser(t)
	if _, at := b.navigate(e.g.base+"/.authgate/login?redirect_uri="+url.QueryEscape("/dashboard?tab=1"), nil); at != e.g.base+"/dashboard?tab=1" {
		t.Fatalf("a same-site return URL was not kept: ended at %s", at)
	}
}

func TestOIDCProviderDownShowsA503PageAndRecovers(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	e.p.AutoLogin("alice")

	t.Run("down at the token exchange", func(t *testing.T) {
		b := newBrowser(t)
		_, auth := b.navigate(e.g.base+"/x", atProvider)
		_, cb := b.navigate(auth, atCallback)
		e.p.Stop()
		r := b.open(cb)
		e.p.Start()
		wantLoginFailure(t, r, http.StatusServiceUnavailable, reasonProviderUnavailable)
		if r.header.Get("Retry-After") == "" {
			t.Fatal("503 without Retry-After")
		}
	})
	t.Run("a new login works once the provider is back", func(t *testing.T) {
		b := newBrowser(t)
		if page, at := b.navigate(e.g.base+"/x", nil); at != e.g.base+"/x" || page.upstream.Get("X-Auth-User-Id") != "alice" {
			t.Fatalf("login after recovery ended at %s with %d", at, page.status)
		}
	})
}

func TestOIDCProviderDownAtStartShowsA503PageUntilItIsBack(t *testing.T) {
	p := oidctest.New(t, oidctest.Options{ClientID: "gateway", ClientSecret: "gw-secret"})
	p.Stop()
	site := strings.NewReplacer("{ISSUER}", p.Issuer(), "{UPSTREAM}", echoUpstream(t).URL, "{OIDC}", "", "{SESSION}", "", "{GLOBAL}", "").Replace(oidcSite)
	g := startGateway(t, site)
	p.AllowRedirect(g.base + "/.authgate/callback")
	b := newBrowser(t)
	r := b.open(g.base + "/x")
	wantLoginFailure(t, r, http.StatusServiceUnavailable, reasonProviderUnavailable)

	p.Start()
	p.AutoLogin("alice")
	sesWaitFor(t, 5*discoveryRetry, "login works again", func() bool {
		return b.open(g.base+"/x").status == http.StatusFound
	})
	if _, at := b.navigate(g.base+"/x", nil); at != g.base+"/x" {
		t.Fatalf("after recovery the login ended at %s", at)
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestOIDCCallbackOnARouteWithEndpointsOffDoesNotLoop(t *testing.T) {
	p := oidctest.New(t, oidctest.Options{ClientID: "gateway", ClientSecret: "gw-secret"})
	site := strings.NewReplacer("{ISSUER}", p.Issuer(), "{UPSTREAM}", echoUpstream(t).URL, "{OIDC}", "", "{SESSION}", "", "{GLOBAL}", "",
		"login oidc corp", "login oidc corp\n\t\t\tendpoints off").Replace(oidcSite)
	g := startGateway(t, site)
	b := newBrowser(t)
	wantLoginFailure(t, b.open(g.base+"/.authgate/callback?state=x&code=y"), http.StatusNotFound, reasonInvalidState)
	if r := b.open(g.base + "/page"); r.status != http.StatusFound {
		t.Fatalf("other pages should still start a login, got %d", r.status)
	}
}
