package caddymodule

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestSessionExchangeRules(t *testing.T) {
	g := startSessionGateway(t, "exchange_max_age 1m")
	now := time.Now().Unix()
	bearer := func(tok string) string { return "Authorization: Bearer " + tok }
	replayed := g.mint("erin")
	wantStatus(t, send(t, g.base, "POST", "/.authgate/session", "", bearer(replayed)), http.StatusCreated)
	noJTI := sesDevToken(t, g, jwt.MapClaims{"sub": "erin", "iat": now})
	wantStatus(t, send(t, g.base, "POST", "/.authgate/session", `{"id_token":"`+noJTI+`"}`, jsonCT), http.StatusCreated)

	for _, tc := range []struct {
		name       string
		body       string
		headers    []string
		wantStatus int
		wantReason string
	}{
		{"a JSON body with id_token is exchanged", `{"id_token":"` + g.mint("erin") + `"}`, []string{jsonCT}, 201, ""},
		{"a same-origin browser request is exchanged", "", []string{bearer(g.mint("erin")), "Origin: " + g.base, "Sec-Fetch-Site: same-origin"}, 201, ""},
		{"a cross-site Origin is refused", "", []string{bearer(g.mint("erin")), "Origin: https://evil.example"}, 403, "cross_site"},
		{"an opaque Origin is refused", "", []string{bearer(g.mint("erin")), "Origin: null"}, 403, "cross_site"},
		{"Sec-Fetch-Site cross-site is refused", "", []string{bearer(g.mint("erin")), "Sec-Fetch-Site: cross-site"}, 403, "cross_site"},
		{"a form post is refused", "id_token=" + g.mint("erin"), []string{"Content-Type: application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
		{"no token is a missing credential", "", nil, 401, "missing_credential"},
		{"an empty JSON token is a missing credential", `{"id_token":""}`, []string{jsonCT}, 401, "missing_credential"},
		{"broken JSON is malformed", `{"id_token":`, []string{jsonCT}, 401, "malformed"},
		{"a token exchanged before is refused", "", []string{bearer(replayed)}, 401, "token_reused"},
		{"a token without jti is exchanged once", `{"id_token":"` + noJTI + `"}`, []string{jsonCT}, 401, "token_reused"},
		{"a token issued too long ago is refused", "", []string{bearer(sesDevToken(t, g, jwt.MapClaims{"sub": "erin", "jti": "old", "iat": now - 120}))}, 401, "too_old"},
		{"a token without iat is refused", "", []string{bearer(sesDevToken(t, g, jwt.MapClaims{"sub": "erin", "jti": "noiat"}))}, 401, "too_old"},
		{"a token of another issuer is refused", "", []string{bearer(sesDevToken(t, g, jwt.MapClaims{"sub": "erin", "iss": "other", "iat": now}))}, 401, "bad_issuer"},
		{"garbage is malformed", "", []string{bearer("not-a-jwt")}, 401, "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, g.base, "POST", "/.authgate/session", tc.body, tc.headers...)
			if tc.wantReason == "" {
				wantStatus(t, r, tc.wantStatus)
				sesCookie(t, r)
				return
			}
			wantReason(t, r, tc.wantStatus, tc.wantReason)
			if r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", r.header.Get("Cache-Control"))
			}
		})
	}
	wantStatus(t, send(t, g.base, "PUT", "/.authgate/session", "", bearer(g.mint("erin"))), http.StatusMethodNotAllowed)
}

func TestSessionExchangeNeverFixesASession(t *testing.T) {
	g := startSessionGateway(t, "")
	first := sesExchange(t, g, "frank")
	r := send(t, g.base, "POST", "/.authgate/session", "",
		"Authorization: Bearer "+g.mint("frank"), "Cookie: "+sessionCookieName+"="+first)
	wantStatus(t, r, http.StatusCreated)
	if second := sesCookie(t, r).Value; second == first {
		t.Fatal("exchange kept the carried session token")
	}
	wantReason(t, send(t, g.base, "GET", "/", "", "Cookie: "+sessionCookieName+"="+first), http.StatusUnauthorized, "session_revoked")
}

func TestBadSessionCookiesAreInvalidCredentials(t *testing.T) {
	g := startSessionGateway(t, "")
	good := sesExchange(t, g, "gina")
	// Another character of the token alphabet: flipping bits could make a
	// '_' into '\', which is no cookie octet, so the cookie would be
	// dropped (missing_credential) instead of refused (1 run in 64).
	flipped := []byte(good)
	flipped[10] = 'A'
	if good[10] == 'A' {
		flipped[10] = 'B'
	}
	for _, tc := range []struct{ name, value string }{
		{"a tampered token", string(flipped)},
		{"an unknown well-formed token", strings.Repeat("A", 43)},
		{"a truncated token", good[:20]},
		{"a token with foreign characters", strings.Repeat("%", 43)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, g.base, "GET", "/", "", "Cookie: "+sessionCookieName+"="+tc.value)
			wantReason(t, r, http.StatusUnauthorized, "session_revoked")
			if !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) || !sesCleared(r) {
				t.Fatalf("headers %v", r.header)
			}
			nav := send(t, g.base, "GET", "/login/x", "", "Cookie: "+sessionCookieName+"="+tc.value, "Accept: text/html", "Sec-Fetch-Mode: navigate")
			wantStatus(t, nav, http.StatusFound)
			if !strings.HasPrefix(nav.header.Get("Location"), "https://login.example.com/") || !sesCleared(nav) {
				t.Fatalf("navigation: %v", nav.header)
			}
		})
	}
	wantStatus(t, send(t, g.base, "GET", "/", "", "Cookie: "+sessionCookieName+"="+good), http.StatusOK)
}

func TestSessionsSlideUntilIdleAndStopAtLifetime(t *testing.T) {
	// Margins are wide on purpose: CI runs packages in parallel under -race
	// on two cores, and a request stalled past the idle timeout would end
	// the "live" session for the wrong reason.
	const idleTimeout, lifetime = 3 * time.Second, 6 * time.Second
	g := startSessionGateway(t, "idle_timeout 3s\n\t\t\tlifetime 6s")
	created := time.Now()
	live := "Cookie: " + sessionCookieName + "=" + sesExchange(t, g, "hank")
	idle := "Cookie: " + sessionCookieName + "=" + sesExchange(t, g, "hank")
	// Used every 300ms, the session outlives its idle timeout...
	for time.Since(created) < idleTimeout+time.Second {
		wantStatus(t, send(t, g.base, "GET", "/", "", live), http.StatusOK)
		time.Sleep(300 * time.Millisecond)
	}
	// ...while the unused one has expired.
	wantReason(t, send(t, g.base, "GET", "/", "", idle), http.StatusUnauthorized, "session_expired")
	// Used or not, it ends at its lifetime.
	sesWaitFor(t, lifetime, "session reaches its lifetime", func() bool {
		r := send(t, g.base, "GET", "/", "", live)
		if r.status == http.StatusOK {
			return false
		}
		wantReason(t, r, http.StatusUnauthorized, "session_expired")
		return true
	})
	// Times are stored in milliseconds: allow the truncation.
	if d := time.Since(created); d < lifetime-10*time.Millisecond {
		t.Fatalf("session ended after %v, before its %v lifetime", d, lifetime)
	}
}

func TestLogoutRedirectsOnlyToTheSameOrigin(t *testing.T) {
	g := startSessionGateway(t, "")
	for _, tc := range []struct {
		name, target string
		wantLocation string
	}{
		{"a same-origin path is followed", "/bye", "/bye"},
		{"a same-origin URL is followed", g.base + "/bye", g.base + "/bye"},
		{"another origin is ignored", "https://evil.example/", ""},
		{"a scheme-relative URL is ignored", "//evil.example/", ""},
		{"a backslash trick is ignored", "/\\evil.example/", ""},
		{"an encoded slash trick is ignored", "/%2Fevil.example/", ""},
		{"javascript is ignored", "javascript:alert(1)", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cookie := "Cookie: " + sessionCookieName + "=" + sesExchange(t, g, "ivan")
			r := send(t, g.base, "POST", "/.authgate/logout?redirect_uri="+urlQueryEscape(tc.target), "", cookie)
			if tc.wantLocation == "" {
				wantStatus(t, r, http.StatusNoContent)
			} else {
				wantStatus(t, r, http.StatusSeeOther)
				if got := r.header.Get("Location"); got != tc.wantLocation {
					t.Fatalf("Location = %q, want %q", got, tc.wantLocation)
				}
			}
			if !sesCleared(r) {
				t.Fatal("cookie not cleared")
			}
			wantReason(t, send(t, g.base, "GET", "/", "", cookie), http.StatusUnauthorized, "session_revoked")
		})
	}
	cookie := "Cookie: " + sessionCookieName + "=" + sesExchange(t, g, "ivan")
	r := send(t, g.base, "POST", "/.authgate/logout", "", cookie, "Origin: https://evil.example")
	wantReason(t, r, http.StatusForbidden, "cross_site")
	wantStatus(t, send(t, g.base, "GET", "/", "", cookie), http.StatusOK)
	wantStatus(t, send(t, g.base, "GET", "/.authgate/logout", "", cookie), http.StatusMethodNotAllowed)
}

func TestOldestSessionsAreRevokedOverTheCap(t *testing.T) {
	g := startSessionGateway(t, "max_sessions_per_user 2")
	toks := []string{sesExchange(t, g, "jane"), sesExchange(t, g, "jane"), sesExchange(t, g, "jane")}
	wantReason(t, send(t, g.base, "GET", "/", "", "Cookie: "+sessionCookieName+"="+toks[0]), http.StatusUnauthorized, "session_revoked")
	for _, tok := range toks[1:] {
		wantStatus(t, send(t, g.base, "GET", "/", "", "Cookie: "+sessionCookieName+"="+tok), http.StatusOK)
	}
}

func TestBindHostKeepsASessionOnItsSite(t *testing.T) {
	up := echoUpstream(t)
	for _, tc := range []struct {
		name, options string
		otherSite     int
	}{
		{"without bind_host a session works on every site", "", http.StatusOK},
		{"with bind_host it works only where it was made", "bind_host", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site := strings.ReplaceAll(sessionSite, "{UPSTREAM}", up.URL)
			site = strings.ReplaceAll(site, "{SESSION}", tc.options)
			site = strings.Replace(site, "http://127.0.0.1:{PORT} {", "http://127.0.0.1:{PORT}, http://localhost:{PORT} {", 1)
			g := startGateway(t, site)
			other := "Host: localhost:" + strings.TrimPrefix(g.base, "http://127.0.0.1:")
			cookie := "Cookie: " + sessionCookieName + "=" + sesExchange(t, g, "quinn")
			wantStatus(t, send(t, g.base, "GET", "/", "", cookie), http.StatusOK)
			wantStatus(t, send(t, g.base, "GET", "/", "", cookie, other), tc.otherSite)
		})
	}
}
