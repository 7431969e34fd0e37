package verifier

import (
	"errors"
	"strings"
)

var errBoundIntrospected = errors.New("introspected token is bound to a key (cnf) whose proof the gateway cannot check")

// checkIntrospectedBinding refuses an RFC 7662 answer for a
// sender-constrained token unless the verifier allows them. An
// authorization server reports the binding of an opaque token in the
// answer: a cnf member (mTLS, RFC 8705 section 3.2; DPoP, RFC 9449 section
// 6.2) or token_type DPoP. Such a token is only valid with a proof of
// possession of its key, which the gateway does not check, so taking it
// as a bearer token would make a stolen bound token usable again.
func (v *IntrospectVerifier) checkIntrospectedBinding(id *Identity) error {
	if v.cfg.AllowBoundTokens || v.cfg.Mode != IntrospectRFC7662 {
		return nil
	}
	_, bound := id.Claims["cnf"]
	if tt, ok := id.Claims["token_type"].(string); ok && strings.EqualFold(strings.TrimSpace(tt), "DPoP") {
		bound = true
	}
	if bound {
		return Reject(ReasonUnsupportedBinding, errBoundIntrospected)
	}
	return nil
}
