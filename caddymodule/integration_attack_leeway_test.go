package caddymodule

import (
	"crypto/elliptic"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A jwt block with leeway accepts a token until exp + leeway. A once-only
// exchange marker or a logout deny-list entry kept only until exp lets the
// same token be exchanged again, or work again, in that window (short-lived
// session JWTs, such as Clerk's 60-second ones, live in it).
func startLeewayGateway(t *testing.T) *ecFixture {
	t.Helper()
	dir := t.TempDir()
	f := &ecFixture{es256: ecIssuer{alg: "ES256", iss: "https://es256.example/", key: newECDSA(t, elliptic.P256())}}
	f.es384, f.bnd = f.es256, f.es256
	site := strings.Replace(ecSite, "audience app\n\t\t\tfrom header", "audience app\n\t\t\tleeway 30s\n\t\t\tfrom header", 1)
	if site == ecSite {
		t.Fatal("ecSite changed: cannot add leeway")
	}
	cf := strings.NewReplacer("{STORE}", "bolt {STORAGE}/sessions.db", "{ADMIN}", "off",
		"{KEY256}", writePublicPEM(t, dir, "es256.pem", f.es256.key),
		"{KEY384}", writePublicPEM(t, dir, "es384.pem", newECDSA(t, elliptic.P384())),
		"{KEYBOUND}", writePublicPEM(t, dir, "bound.pem", newECDSA(t, elliptic.P256())),
		"{UPSTREAM}", echoUpstream(t).URL, "{ROUTE}", "",
	).Replace(site)
	f.g = startGateway(t, cf)
	return f
}

func TestLeewayDoesNotReopenExchangeOrLogout(t *testing.T) {
	f := startLeewayGateway(t)
	soon := time.Now().Add(1500 * time.Millisecond).Unix()
	exchanged := f.es256.mint(map[string]any{"sub": uniqueSub("ex"), "exp": soon})
	wantStatus(t, send(t, f.g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+exchanged), http.StatusCreated)
	loggedOut := f.es256.mint(map[string]any{"sub": uniqueSub("lo"), "jti": uniqueSub("jti"), "exp": soon})
	wantStatus(t, send(t, f.g.base, "POST", "/.authgate/logout", "", "Authorization: Bearer "+loggedOut), http.StatusNoContent)
	time.Sleep(time.Until(time.Unix(soon, 0).Add(1200 * time.Millisecond)))

	// Both tokens are past exp but within the leeway.
	r := send(t, f.g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+exchanged)
	wantReason(t, r, http.StatusUnauthorized, "token_reused")
	wantReason(t, f.g.do("GET", "/app", "Authorization: Bearer "+loggedOut), http.StatusUnauthorized, "token_revoked")
}
