package caddymodule

import (
	"net/http"
	"testing"
)

// TestBoundTokensAreRefusedAsBearerTokens presents sender-constrained
// tokens (a DPoP key thumbprint, an mTLS certificate thumbprint) without
// their proof: the gateway cannot check the proof, so it refuses them,
// unless the verifier opted in with allow_bound_tokens.
func TestBoundTokensAreRefusedAsBearerTokens(t *testing.T) {
	f := startECGateway(t, "")
	dpop := map[string]any{"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}
	mtls := map[string]any{"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}
	for _, tc := range []struct {
		name       string
		token      string
		wantStatus int
		wantReason string
	}{
		{"a DPoP-bound token is refused", f.es256.mint(map[string]any{"sub": "alice", "cnf": dpop}), 401, "unsupported_binding"},
		{"an mTLS-bound token is refused", f.es384.mint(map[string]any{"sub": "alice", "cnf": mtls}), 401, "unsupported_binding"},
		{"an empty cnf is refused too", f.es256.mint(map[string]any{"sub": "alice", "cnf": map[string]any{}}), 401, "unsupported_binding"},
		{"an unbound token passes", f.es256.mint(map[string]any{"sub": "alice"}), 200, ""},
		{"a bound token passes where the verifier allows it", f.bnd.mint(map[string]any{"sub": "alice", "cnf": dpop}), 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.g.do("GET", "/app", "Authorization: Bearer "+tc.token)
			if tc.wantReason == "" {
				wantStatus(t, r, tc.wantStatus)
				return
			}
			wantReason(t, r, tc.wantStatus, tc.wantReason)
			if got := r.header.Get("WWW-Authenticate"); got == "" {
				t.Errorf("no WWW-Authenticate challenge")
			}
		})
	}
	// Nor can a bound token be turned into a session.
	r := send(t, f.g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+f.es256.mint(map[string]any{"sub": "alice", "cnf": dpop}))
	wantReason(t, r, http.StatusUnauthorized, "unsupported_binding")
}
