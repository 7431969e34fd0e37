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
