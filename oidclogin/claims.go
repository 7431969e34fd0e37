package oidclogin

import (
	"encoding/json"

	"github.com/authgate/authgate/internal/jsonnum"
)

// exactClaims decodes the claims of an ID token or a userinfo answer with
// numbers kept exact (json.Number), as every other claim the gateway takes
// in: go-oidc's Claims decodes them as float64, which turns an id above
// 2^53 into a neighbour. claimsOf is idToken.Claims or userInfo.Claims.
func exactClaims(claimsOf func(any) error, out *map[string]any) error {
	var raw json.RawMessage
	if err := claimsOf(&raw); err != nil {
		return err
	}
	return jsonnum.Unmarshal(raw, out)
}
