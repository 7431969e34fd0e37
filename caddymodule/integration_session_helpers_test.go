package caddymodule

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/golang-jwt/jwt/v5"
)

// sessionCookieName is the default cookie name (Secure is on by default).
const sessionCookieName = "__Host-authgate_session"

// sesCookie returns the session cookie a response set, failing if none.
func sesCookie(t *testing.T, r response) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == sessionCookieName {
			return c
		}
	}
	t.Fatalf("no %s cookie set; status %d, body %s", sessionCookieName, r.status, r.body)
	return nil
}

// sesCleared reports whether a response told the browser to drop the
// session cookie.
func sesCleared(r response) bool {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == sessionCookieName && c.MaxAge < 0 {
			return true
		}
	}
	return false
}

// sesExchange exchanges a fresh dev token of sub and returns the session
// token.
func sesExchange(t *testing.T, g *gateway, sub string, claims ...string) string {
	t.Helper()
	r := send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+g.mint(sub, claims...))
	wantStatus(t, r, http.StatusCreated)
	return sesCookie(t, r).Value
}

// sesDevToken signs dev-issuer claims as given (iat, jti … included), for
// tokens mintDevToken cannot make (old, without jti).
func sesDevToken(t *testing.T, g *gateway, claims jwt.MapClaims) string {
	t.Helper()
	key, err := loadOrCreateDevKey(context.Background(), &certmagic.FileStorage{Path: g.storage})
	if err != nil {
		t.Fatal(err)
	}
	base := jwt.MapClaims{"iss": devIssuer, "aud": devAudience, "exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range claims {
		base[k] = v
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, base).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// sesWaitFor polls cond every 20ms until it holds or d passes.
func sesWaitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
