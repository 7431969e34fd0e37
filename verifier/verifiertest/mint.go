package verifiertest

import (
	"encoding/base64"
	"encoding/json"

	"github.com/golang-jwt/jwt/v5"
)

// Sign returns a compact JWS of header and claims signed with key by the
// method named alg, whatever header["alg"] says; that is how tests build
// tokens whose header lies about their algorithm. key is a private key, or
// a []byte secret for HS*.
func Sign(alg string, key any, header, claims map[string]any) string {
	method := jwt.GetSigningMethod(alg)
	if method == nil {
		panic("verifiertest: unknown signing method " + alg)
	}
	signing := Segment(header) + "." + Segment(claims)
	sig, err := method.Sign(signing, key)
	must(err)
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// Segment encodes v as a base64url JSON segment, for crafting tokens by
// hand (alg none, stripped signatures, odd headers).
func Segment(v any) string {
	raw, err := json.Marshal(v)
	must(err)
	return base64.RawURLEncoding.EncodeToString(raw)
}
