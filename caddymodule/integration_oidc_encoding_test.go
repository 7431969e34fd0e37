package caddymodule

import (
	"net/http"
	"testing"

	"github.com/authgate/authgate/internal/oidctest"
)

// TestOIDCSubjectWithControlCharactersIsRefused: a provider that signs a
// sub with CR LF gets no session: the login fails as malformed (401), so
// the subject never reaches X-Auth-User-Id or {http.auth.user.id}.
func TestOIDCSubjectWithControlCharactersIsRefused(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	for _, sub := range []string{"eve\r\nX-Admin: 1", "eve\x00"} {
		b := newBrowser(t)
		r, _ := e.login(b, sub, "/reports")
		wantLoginFailure(t, r, http.StatusUnauthorized, "malformed")
		if b.cookie(e.g.base, sessionCookieName) != "" {
			t.Fatalf("sub %q: a session cookie was set", sub)
		}
	}
}
