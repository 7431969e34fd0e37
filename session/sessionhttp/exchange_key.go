package sessionhttp

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"

	"github.com/authgate/authgate/verifier"
)

// exchangeKey is the once-only marker of an exchanged token, kept until
// the token's exp: (iss, jti) when the token has a jti, otherwise the
// SHA-256 of its signing input (header.payload). It is never derived from
// the token string: anyone holding an ECDSA-signed token can rewrite its
// signature (r, s) as (r, n−s), which verifies just as well, and that
// copy must count as the token already exchanged. High-S signatures are
// not refused instead, because common JOSE signers produce them. "" when
// the identity has neither (it did not come from a JWT).
func exchangeKey(id *verifier.Identity) string {
	if id.TokenID == "" {
		if id.TokenDigest == "" {
			return ""
		}
		return "x|d|" + id.TokenDigest
	}
	// Length-prefixed, so no (iss, jti) pair can spell another.
	h := sha256.New()
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(id.Issuer))))
	h.Write([]byte(id.Issuer))
	h.Write([]byte(id.TokenID))
	return "x|j|" + hex.EncodeToString(h.Sum(nil))
}
