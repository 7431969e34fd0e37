package caddymodule

import (
	"crypto/elliptic"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestExchangeRefusesMalleatedECDSASignatures exchanges an ES256 and an
// ES384 token once, then rewrites its signature as (r, n−s), which anyone
// holding the token can do: the twin still verifies (high-S signatures are
// not refused), but it is the same token and must not mint a second
// session.
func TestExchangeRefusesMalleatedECDSASignatures(t *testing.T) {
	f := startECGateway(t, "")
	for _, tc := range []struct {
		name  string
		iss   ecIssuer
		curve elliptic.Curve
		jti   bool
	}{
		{"ES256 without jti", f.es256, elliptic.P256(), false},
		{"ES384 without jti", f.es384, elliptic.P384(), false},
		{"ES256 with jti", f.es256, elliptic.P256(), true},
		{"ES384 with jti", f.es384, elliptic.P384(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			claims := map[string]any{"sub": "mallory"}
			if tc.jti {
				claims["jti"] = fmt.Sprint(time.Now().UnixNano())
			}
			tok := tc.iss.mint(claims)
			twin := malleate(t, tok, tc.curve)
			// The twin is a valid token: the gateway accepts it as a Bearer.
			wantStatus(t, f.g.do("GET", "/app", "Authorization: Bearer "+twin), http.StatusOK)

			wantStatus(t, send(t, f.g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+tok), http.StatusCreated)
			r := send(t, f.g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+twin)
			wantReason(t, r, http.StatusUnauthorized, "token_reused")
			r = send(t, f.g.base, "POST", "/.authgate/session", `{"id_token":"`+twin+`"}`, jsonCT)
			wantReason(t, r, http.StatusUnauthorized, "token_reused")
		})
	}
}
