package verifier

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

var errBoundToken = errors.New("token is bound to a key (cnf) whose proof the gateway cannot check")

// checkBinding refuses tokens carrying a "cnf" claim unless the verifier
// allows them. Such a token is sender-constrained (DPoP, RFC 9449; mTLS,
// RFC 8705): it is only valid together with a proof of possession of the
// key it names. The gateway checks no such proof, so accepting the token
// would turn a stolen bound token back into a bearer token, which is what
// binding exists to prevent.
func (v *JWTVerifier) checkBinding(c jwt.MapClaims) error {
	if _, bound := c["cnf"]; bound && !v.cfg.AllowBoundTokens {
		return Reject(ReasonUnsupportedBinding, errBoundToken)
	}
	return nil
}

// signingDigest returns the hex SHA-256 of a compact JWS's signing input
// (header.payload). It names the token independently of its signature
// bytes: an ECDSA signature (r, s) is just as valid as (r, n−s), so anyone
// holding a token can mint a second, different-looking copy of it, and only
// the signed part identifies the token.
func signingDigest(token string) string {
	input := token
	if i := strings.LastIndexByte(token, '.'); i >= 0 {
		input = token[:i]
	}
	sum := sha256.Sum256([]byte(input))
	return hex.EncodeToString(sum[:])
}
