package caddymodule

import (
	"net/http"
	"testing"
)

// Some cookie parsers also split on "," (RFC 2965 style): Python's
// SimpleCookie, used by aiohttp and Bottle, reads "s=A; theme=x, s=B" as
// s=B. A credential cookie hidden after a comma inside another cookie's
// value is a second copy to such an app, so it counts as one, and is never
// forwarded unless accepted.
func TestCredentialCookieAfterACommaIsACopy(t *testing.T) {
	g := startDuplicatesGateway(t, "")
	c := sesCookie(t, send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+g.mint("alice")))
	t.Run("next to the accepted session cookie", func(t *testing.T) {
		r := g.rawGet("/", "Cookie: "+c.Name+"="+c.Value+"; theme=x, "+c.Name+"=forged-session-value")
		wantReason(t, r, http.StatusUnauthorized, "malformed")
	})
	// net/http does not see the hidden pair, so the one pair the gateway
	// counts has no readable value: malformed, with or without a Bearer
	// token, on optional routes too.
	for _, tc := range []struct{ name, path, bearer string }{
		{"next to an accepted Bearer token", "/", "Authorization: Bearer " + g.mint("alice")},
		{"on an optional route", "/optional/x", "X-Other: 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := g.rawGet(tc.path, tc.bearer, "Cookie: theme=x, "+c.Name+"=forged-session-value; lang=en")
			wantReason(t, r, http.StatusUnauthorized, "malformed")
		})
	}
	t.Run("the app's own cookies pass next to a Bearer token", func(t *testing.T) {
		r := g.rawGet("/", "Authorization: Bearer "+g.mint("alice"), "Cookie: theme=x; lang=en")
		wantStatus(t, r, http.StatusOK)
		if got := r.upstream.Get("Cookie"); got != "theme=x; lang=en" {
			t.Errorf("Cookie = %q, want theme=x; lang=en", got)
		}
	})
}

// PHP turns " " and "." in cookie names into "_": to a PHP app,
// "app.session=forged" is $_COOKIE["app_session"]. That spelling is a copy
// of the credential cookie app_session, as X_Auth_User_Id is of
// X-Auth-User-Id among headers.
func TestCredentialCookieInPHPSpellingIsACopy(t *testing.T) {
	g := startDuplicatesGateway(t, "insecure_cookie\n\t\t\tcookie app_session")
	r := send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+g.mint("alice"))
	wantStatus(t, r, http.StatusCreated)
	tok := ""
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "app_session" {
			tok = c.Value
		}
	}
	for _, tc := range []struct {
		name, path string
		headers    []string
	}{
		{"next to the accepted cookie", "/", []string{"Cookie: app_session=" + tok + "; app.session=forged-session-value"}},
		{"with a space, next to the accepted cookie", "/", []string{"Cookie: app_session=" + tok + "; app session=forged-session-value"}},
		{"next to an accepted Bearer token", "/", []string{"Authorization: Bearer " + g.mint("alice"), "Cookie: app.session=forged-session-value"}},
		{"on an optional route", "/optional/x", []string{"Cookie: app.session=forged-session-value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := g.rawGet(tc.path, append(tc.headers, "Accept: application/json")...)
			wantReason(t, r, http.StatusUnauthorized, "malformed")
		})
	}
	t.Run("other cookies pass", func(t *testing.T) {
		r := g.rawGet("/", "Authorization: Bearer "+g.mint("alice"), "Cookie: app.theme=dark; app_sessionX=1")
		wantStatus(t, r, http.StatusOK)
		if got := r.upstream.Get("Cookie"); got != "app.theme=dark; app_sessionX=1" {
			t.Errorf("Cookie = %q", got)
		}
	})
}
