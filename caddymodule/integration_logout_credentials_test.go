package caddymodule

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// logoutStores runs a logout story on each session store: the deny-list
// entries logout makes must hold in bolt and in Redis alike.
func logoutStores(t *testing.T, story func(t *testing.T, f *ecFixture)) {
	t.Run("bolt", func(t *testing.T) {
		story(t, startECGatewayOn(t, "", "bolt {STORAGE}/sessions.db", true))
	})
	t.Run("redis", func(t *testing.T) {
		story(t, startECGatewayOn(t, "", "redis "+testRedisURL(t), true))
	})
}

// uniqueSub returns a subject no other test (or earlier run on the shared
// Redis) uses.
func uniqueSub(name string) string { return fmt.Sprintf("%s-%d", name, time.Now().UnixNano()) }

// clearedCookie reports whether r told the browser to drop cookie name.
func clearedCookie(r response, name string) bool {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == name && c.MaxAge < 0 {
			return true
		}
	}
	return false
}

// TestLogoutEndsTheTokenTheSessionCameFrom: a browser app keeps the IdP's
// token in an id_token cookie (which the route reads) and exchanged it for
// a session. After logout, neither the cookie (if the browser kept it: its
// Path or Domain may differ from what logout can clear) nor the token as a
// Bearer authenticates any more, with or without a jti.
func TestLogoutEndsTheTokenTheSessionCameFrom(t *testing.T) {
	logoutStores(t, func(t *testing.T, f *ecFixture) {
		for _, withJTI := range []bool{true, false} {
			t.Run(fmt.Sprintf("jti=%v", withJTI), func(t *testing.T) {
				claims := map[string]any{"sub": uniqueSub("ivy")}
				if withJTI {
					claims["jti"] = uniqueSub("jti")
				}
				tok := f.es256.mint(claims)
				r := send(t, f.g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+tok)
				wantStatus(t, r, http.StatusCreated)
				ses := sesCookie(t, r).Value
				browser := "Cookie: id_token=" + tok + "; " + sessionCookieName + "=" + ses
				wantStatus(t, f.g.do("GET", "/app", browser), http.StatusOK)

				out := send(t, f.g.base, "POST", "/.authgate/logout", "", browser)
				wantStatus(t, out, http.StatusNoContent)
				if !clearedCookie(out, sessionCookieName) || !clearedCookie(out, "id_token") {
					t.Errorf("logout does not clear both cookies: %v", out.header["Set-Cookie"])
				}
				wantReason(t, f.g.do("GET", "/app", "Cookie: id_token="+tok), http.StatusUnauthorized, "token_revoked")
				wantReason(t, f.g.do("GET", "/app", "Authorization: Bearer "+tok), http.StatusUnauthorized, "token_revoked")
				wantReason(t, f.g.do("GET", "/app", "Cookie: "+sessionCookieName+"="+ses), http.StatusUnauthorized, "session_revoked")
				r = send(t, f.g.base, "POST", "/.authgate/session", `{"id_token":"`+tok+`"}`, jsonCT)
				wantStatus(t, r, http.StatusUnauthorized)
				// Another token of the same user is not touched.
				other := f.es256.mint(map[string]any{"sub": claims["sub"], "jti": uniqueSub("other"), "iat": time.Now().Unix() - 1})
				wantStatus(t, f.g.do("GET", "/app", "Authorization: Bearer "+other), http.StatusOK)
			})
		}
	})
}

// TestLogoutWithABearerTokenEndsIt: an API client logs out with its Bearer
// JWT. The 204 must mean the token stopped working, and so did the session
// exchanged from it.
func TestLogoutWithABearerTokenEndsIt(t *testing.T) {
	logoutStores(t, func(t *testing.T, f *ecFixture) {
		for _, tc := range []struct {
			name string
			iss  ecIssuer
			jti  bool
		}{
			{"ES256 with jti", f.es256, true},
			{"ES384 without jti", f.es384, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				claims := map[string]any{"sub": uniqueSub("jack")}
				if tc.jti {
					claims["jti"] = uniqueSub("jti")
				}
				tok := tc.iss.mint(claims)
				bearer := "Authorization: Bearer " + tok
				r := send(t, f.g.base, "POST", "/.authgate/session", "", bearer)
				wantStatus(t, r, http.StatusCreated)
				ses := "Cookie: " + sessionCookieName + "=" + sesCookie(t, r).Value
				wantStatus(t, f.g.do("GET", "/app", bearer), http.StatusOK)
				wantStatus(t, f.g.do("GET", "/app", ses), http.StatusOK)

				wantStatus(t, send(t, f.g.base, "POST", "/.authgate/logout", "", bearer), http.StatusNoContent)
				wantReason(t, f.g.do("GET", "/app", bearer), http.StatusUnauthorized, "token_revoked")
				wantReason(t, f.g.do("GET", "/app", ses), http.StatusUnauthorized, "session_revoked")
			})
		}
		// A forged Bearer at logout (not signed by the issuer) denies nothing.
		victim := f.es256.mint(map[string]any{"sub": uniqueSub("kim"), "jti": uniqueSub("jti")})
		forged := ecIssuer{alg: "ES256", iss: f.es256.iss, key: newECDSA(t, f.es256.key.Curve)}
		parts := strings.Split(victim, ".")
		fake := strings.Split(forged.mint(nil), ".")
		wantStatus(t, send(t, f.g.base, "POST", "/.authgate/logout", "", "Authorization: Bearer "+parts[0]+"."+parts[1]+"."+fake[2]), http.StatusNoContent)
		wantStatus(t, f.g.do("GET", "/app", "Authorization: Bearer "+victim), http.StatusOK)
	})
}

// TestRevocationsByIssuerAndJTI: the admin API denies one issuer's jti, or
// a jti of every issuer when no iss is given.
func TestRevocationsByIssuerAndJTI(t *testing.T) {
	f := startECGatewayOn(t, "", "bolt {STORAGE}/sessions.db", true)
	until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	jti := uniqueSub("shared")
	a := f.es256.mint(map[string]any{"sub": "lou", "jti": jti})
	b := f.es384.mint(map[string]any{"sub": "lou", "jti": jti})
	r := send(t, f.g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+a)
	wantStatus(t, r, http.StatusCreated)
	ses := "Cookie: " + sessionCookieName + "=" + sesCookie(t, r).Value

	r = send(t, f.admin, "POST", "/authgate/revocations", `{"iss":"`+f.es256.iss+`","jti":"`+jti+`","until":"`+until+`"}`, jsonCT)
	wantStatus(t, r, http.StatusCreated)
	wantReason(t, f.g.do("GET", "/app", "Authorization: Bearer "+a), http.StatusUnauthorized, "token_revoked")
	wantReason(t, f.g.do("GET", "/app", ses), http.StatusUnauthorized, "session_revoked")
	wantStatus(t, f.g.do("GET", "/app", "Authorization: Bearer "+b), http.StatusOK)

	wantStatus(t, send(t, f.admin, "POST", "/authgate/revocations", `{"jti":"`+jti+`","until":"`+until+`"}`, jsonCT), http.StatusCreated)
	wantReason(t, f.g.do("GET", "/app", "Authorization: Bearer "+b), http.StatusUnauthorized, "token_revoked")
	wantStatus(t, send(t, f.admin, "POST", "/authgate/revocations", `{"iss":"x","sub":"lou","until":"`+until+`"}`, jsonCT), http.StatusBadRequest)
}
