package caddymodule

import (
	"net/http"
	"testing"
)

// Adversarial pass over logout and exchange: a browser may hold the same
// cookie name twice (a copy at another Path, or one set for the parent
// domain by a sibling subdomain), and net/http's r.Cookie returns only the
// first copy. A decoy copy placed first must not let the real session or
// token survive a logout, nor a planted session survive an exchange.

func TestLogoutEndsEverySessionCookieCopy(t *testing.T) {
	f := startECGateway(t, "")
	victim := exchangeEC(t, f, uniqueSub("vic"))
	out := send(t, f.g.base, "POST", "/.authgate/logout", "",
		"Cookie: "+sessionCookieName+"=decoy-value; "+sessionCookieName+"="+victim)
	wantStatus(t, out, http.StatusNoContent)
	wantReason(t, f.g.do("GET", "/app", "Cookie: "+sessionCookieName+"="+victim), http.StatusUnauthorized, "session_revoked")
}

func TestLogoutEndsEveryCredentialCookieCopy(t *testing.T) {
	f := startECGateway(t, "")
	tok := f.es256.mint(map[string]any{"sub": uniqueSub("vic"), "jti": uniqueSub("jti")})
	wantStatus(t, f.g.do("GET", "/app", "Cookie: id_token="+tok), http.StatusOK)
	out := send(t, f.g.base, "POST", "/.authgate/logout", "", "Cookie: id_token=decoy; id_token="+tok)
	wantStatus(t, out, http.StatusNoContent)
	wantReason(t, f.g.do("GET", "/app", "Cookie: id_token="+tok), http.StatusUnauthorized, "token_revoked")
}

func TestExchangeRevokesEveryCarriedSessionCopy(t *testing.T) {
	f := startECGateway(t, "")
	planted := exchangeEC(t, f, uniqueSub("mallory"))
	tok := f.es256.mint(map[string]any{"sub": uniqueSub("vic"), "jti": uniqueSub("jti")})
	r := send(t, f.g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+tok,
		"Cookie: "+sessionCookieName+"=decoy-value; "+sessionCookieName+"="+planted)
	wantStatus(t, r, http.StatusCreated)
	wantReason(t, f.g.do("GET", "/app", "Cookie: "+sessionCookieName+"="+planted), http.StatusUnauthorized, "session_revoked")
}

// exchangeEC exchanges a fresh ES256 token of sub and returns the session
// token.
func exchangeEC(t *testing.T, f *ecFixture, sub string) string {
	t.Helper()
	tok := f.es256.mint(map[string]any{"sub": sub, "jti": uniqueSub("jti")})
	r := send(t, f.g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+tok)
	wantStatus(t, r, http.StatusCreated)
	return sesCookie(t, r).Value
}

// TestLogoutEndsEveryAuthorizationCopy: a decoy first Authorization header
// must not let the real Bearer token survive a logout.
func TestLogoutEndsEveryAuthorizationCopy(t *testing.T) {
	f := startECGateway(t, "")
	tok := f.es256.mint(map[string]any{"sub": uniqueSub("vic"), "jti": uniqueSub("jti")})
	wantStatus(t, f.g.do("GET", "/app", "Authorization: Bearer "+tok), http.StatusOK)
	out := send(t, f.g.base, "POST", "/.authgate/logout", "",
		"Authorization: Bearer decoy-value", "Authorization: Bearer "+tok)
	wantStatus(t, out, http.StatusNoContent)
	wantReason(t, f.g.do("GET", "/app", "Authorization: Bearer "+tok), http.StatusUnauthorized, "token_revoked")
}
