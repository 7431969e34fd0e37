package caddymodule

import (
	"encoding/json"
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

// TestOIDCClaimsDecodeExactly: go-oidc's Claims decodes numbers as float64;
// the login reads the same JSON with numbers kept exact. (The test provider
// cannot sign a bare big integer, so this one is checked on the decoder.)
func TestOIDCClaimsDecodeExactly(t *testing.T) {
	payload := []byte(`{"sub":"gil","guild_id":1234567890123456789}`)
	var claims map[string]any
	err := exactClaims(func(v any) error { return json.Unmarshal(payload, v) }, &claims)
	if err != nil || claims["guild_id"] != json.Number("1234567890123456789") {
		t.Fatalf("claims %#v, %v: want guild_id as the exact json.Number", claims, err)
	}
}
