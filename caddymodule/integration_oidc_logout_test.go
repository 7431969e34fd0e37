package caddymodule

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/internal/oidctest"
)

// loggedIn logs a new browser in as sub and checks the app is reachable.
func (e *oidcEnv) loggedIn(t *testing.T, sub string) *browser {
	t.Helper()
	b := newBrowser(t)
	page, at := e.login(b, sub, "/home")
	if at != e.g.base+"/home" || page.upstream.Get("X-Auth-User-Id") != sub {
		t.Fatalf("login as %s ended at %s with status %d", sub, at, page.status)
	}
	return b
}

// inApp reports whether the browser's session still reaches the app.
func (e *oidcEnv) inApp(b *browser) bool {
	return b.do("GET", e.g.base+"/api/me", "").status == http.StatusOK
}

// backchannel posts a logout token as the provider would.
func (e *oidcEnv) backchannel(t *testing.T, token string) response {
	t.Helper()
	return send(t, e.g.base, "POST", "/.authgate/backchannel-logout", "logout_token="+url.QueryEscape(token),
		"Content-Type: application/x-www-form-urlencoded")
}

func TestOIDCBackchannelLogoutRevokesLiveSessions(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	alice := e.loggedIn(t, "alice")
	bob := e.loggedIn(t, "bob")
	bobSince := time.Now()
	aliceSID := e.p.SID("alice")
	if aliceSID == "" || !e.inApp(alice) {
		t.Fatal("setup: alice has no provider session or no app access")
	}

	t.Run("tokens that must not verify are refused and revoke nothing", func(t *testing.T) {
		bad := map[string]string{
			"signed by another key": e.p.SignWithForeignKey(jwt.MapClaims{
				"iss": e.p.Issuer(), "aud": "gateway", "iat": time.Now().Unix(), "jti": "f1", "sid": aliceSID,
				"events": map[string]any{oidctest.BackchannelLogoutEvent: map[string]any{}},
			}),
			"without the logout event":   e.p.LogoutToken("alice", aliceSID, func(c jwt.MapClaims) { delete(c, "events") }),
			"with a nonce (an ID token)": e.p.LogoutToken("alice", aliceSID, func(c jwt.MapClaims) { c["nonce"] = "n" }),
			"for another audience":       e.p.LogoutToken("alice", aliceSID, func(c jwt.MapClaims) { c["aud"] = "someone-else" }),
			"from another issuer":        e.p.LogoutToken("alice", aliceSID, func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }),
			"expired": e.p.LogoutToken("alice", aliceSID, func(c jwt.MapClaims) {
				c["iat"] = time.Now().Add(-time.Hour).Unix()
				c["exp"] = time.Now().Add(-30 * time.Minute).Unix()
			}),
			"without sub and sid": e.p.LogoutToken("", "", nil),
			"without jti":         e.p.LogoutToken("alice", aliceSID, func(c jwt.MapClaims) { delete(c, "jti") }),
			"not a JWT":           "not-a-token",
		}
		for what, tok := range bad {
			r := e.backchannel(t, tok)
			if r.status != http.StatusBadRequest || !strings.Contains(r.body, "invalid_request") {
				t.Errorf("%s: status %d body %s, want 400 invalid_request", what, r.status, r.body)
			}
		}
		if !e.inApp(alice) {
			t.Fatal("a refused logout token revoked alice's session")
		}
		r := send(t, e.g.base, "POST", "/.authgate/backchannel-logout", `{"logout_token":"x"}`, "Content-Type: application/json")
		wantStatus(t, r, http.StatusBadRequest)
		wantStatus(t, send(t, e.g.base, "GET", "/.authgate/backchannel-logout", ""), http.StatusMethodNotAllowed)
	})

	t.Run("a logout token for another sid leaves the session alone", func(t *testing.T) {
		wantStatus(t, e.backchannel(t, e.p.LogoutToken("alice", "some-other-sid", nil)), http.StatusOK)
		if !e.inApp(alice) {
			t.Fatal("alice was logged out by another provider session's logout")
		}
	})

	t.Run("a valid logout token by sid revokes that session at once", func(t *testing.T) {
		tok := e.p.LogoutToken("", aliceSID, nil)
		r := e.backchannel(t, tok)
		wantStatus(t, r, http.StatusOK)
		if r.header.Get("Cache-Control") != "no-store" {
			t.Fatal("back-channel answer without Cache-Control: no-store")
		}
		if e.inApp(alice) {
			t.Fatal("alice's session survived the back-channel logout")
		}
		if !e.inApp(bob) {
			t.Fatal("bob was logged out with alice")
		}
		// The same token again is a replay.
		wantStatus(t, e.backchannel(t, tok), http.StatusBadRequest)
	})

	t.Run("a logout token by sub revokes every session of the user from this provider", func(t *testing.T) {
		// iat has whole seconds: issue the token a second ago, for a
		// session made at least two seconds ago.
		sesWaitFor(t, 3*time.Second, "bob's session two seconds old", func() bool { return time.Since(bobSince) > 2*time.Second })
		tok := e.p.LogoutToken("bob", "", func(c jwt.MapClaims) { c["iat"] = time.Now().Add(-time.Second).Unix() })
		wantStatus(t, e.backchannel(t, tok), http.StatusOK)
		if e.inApp(bob) {
			t.Fatal("bob's session survived a logout by sub")
		}
		// Replayed after bob logs in again, it is refused and ends nothing.
		again := e.loggedIn(t, "bob")
		wantStatus(t, e.backchannel(t, tok), http.StatusBadRequest)
		if !e.inApp(again) {
			t.Fatal("a replayed logout token ended a later login")
		}
	})

	t.Run("navigating after a back-channel logout starts a new login", func(t *testing.T) {
		r := alice.open(e.g.base + "/home")
		if r.status != http.StatusFound || !strings.HasPrefix(r.header.Get("Location"), e.p.Issuer()+"/authorize") {
			t.Fatalf("status %d to %q, want a new login", r.status, r.header.Get("Location"))
		}
	})
}

func TestOIDCLogoutEndsTheProviderSessionToo(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	b := e.loggedIn(t, "alice")

	r := b.do("POST", e.g.base+"/.authgate/logout?redirect_uri="+url.QueryEscape("/goodbye"), "")
	action, q := autoPostForm(t, r)
	if action != e.p.Issuer()+"/logout" {
		t.Fatalf("logout posts to %s, want the provider's end_session_endpoint", action)
	}
	if q.Get("post_logout_redirect_uri") != e.g.base+"/goodbye" || q.Get("client_id") != "gateway" || strings.Count(q.Get("id_token_hint"), ".") != 2 {
		t.Fatalf("end-session parameters: %v", q)
	}
	if e.inApp(b) {
		t.Fatal("the edge session survived logout")
	}
	// The browser posts the form; the provider ends its session and sends
	// the browser back.
	back := b.do("POST", action, q.Encode(), "Content-Type: application/x-www-form-urlencoded")
	if back.status != http.StatusFound || back.header.Get("Location") != e.g.base+"/goodbye" {
		t.Fatalf("provider answered %d to %q", back.status, back.header.Get("Location"))
	}
	if n := len(e.p.Logouts()); n != 1 {
		t.Fatalf("provider saw %d end-session calls, want 1", n)
	}

	t.Run("an off-site redirect_uri is never passed on", func(t *testing.T) {
		b := e.loggedIn(t, "alice")
		r := b.do("POST", e.g.base+"/.authgate/logout?redirect_uri="+url.QueryEscape("https://evil.example/"), "")
		_, q := autoPostForm(t, r)
		if q.Get("post_logout_redirect_uri") != e.g.base+"/" {
			t.Fatalf("post_logout_redirect_uri = %q", q.Get("post_logout_redirect_uri"))
		}
	})
	t.Run("fetch-based logout gets 204 and stays on the site", func(t *testing.T) {
		b := e.loggedIn(t, "alice")
		r := b.do("POST", e.g.base+"/.authgate/logout", "", "Sec-Fetch-Mode: cors", "Sec-Fetch-Site: same-origin")
		wantStatus(t, r, http.StatusNoContent)
		if e.inApp(b) {
			t.Fatal("the edge session survived logout")
		}
	})
}

func TestOIDCLogoutWithoutEndSessionEndpointStaysLocal(t *testing.T) {
	e := startOIDC(t, oidctest.Options{NoEndSession: true})
	b := e.loggedIn(t, "alice")
	r := b.do("POST", e.g.base+"/.authgate/logout?redirect_uri=/bye", "")
	wantStatus(t, r, http.StatusSeeOther)
	if r.header.Get("Location") != "/bye" || e.inApp(b) {
		t.Fatalf("Location %q; session alive %v", r.header.Get("Location"), e.inApp(b))
	}
}

// autoPostForm reads the self-submitting logout page: the form's action
// and fields, after checking the page cannot run any other script.
func autoPostForm(t *testing.T, r response) (string, url.Values) {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	if csp := r.header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'; script-src 'sha256-") {
		t.Fatalf("logout page CSP %q", csp)
	}
	if r.header.Get("Location") != "" || r.header.Get("Cache-Control") != "no-store" {
		t.Fatal("the logout page must not redirect (the ID token stays out of URLs) nor be cached")
	}
	m := regexp.MustCompile(`<form method="post" action="([^"]+)">`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no form in %s", r.body)
	}
	q := url.Values{}
	for _, f := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(r.body, -1) {
		q.Set(html.UnescapeString(f[1]), html.UnescapeString(f[2]))
	}
	return html.UnescapeString(m[1]), q
}
