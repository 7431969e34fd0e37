package oidclogin

import (
	"encoding/json"
	"testing"
)

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
