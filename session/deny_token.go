package session

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"

	"github.com/authgate/authgate/verifier"
)

// TokenKey is the deny-list key of one identity-provider JWT: its (iss,
// jti) when it has a jti; otherwise its canonical subject and iat (two
// tokens of one subject issued in the same second share it); otherwise the
// SHA-256 of its signing input. "" when id holds none of these (it did
// not come from a JWT). Keys are hex digests with a kind prefix, so values
// chosen by a token's issuer cannot spell another kind's key.
func TokenKey(id *verifier.Identity) string {
	switch {
	case id.TokenID != "":
		return IssuerJTIKey(id.Issuer, id.TokenID)
	case !id.IssuedAt.IsZero() && id.Subject != "":
		return "s:" + digest(id.Subject, time.Unix(id.IssuedAt.Unix(), 0).UTC().Format(time.RFC3339))
	case id.TokenDigest != "":
		return "d:" + id.TokenDigest
	}
	return ""
}

// IssuerJTIKey is the deny-list key of the token with this iss and jti.
func IssuerJTIKey(iss, jti string) string { return "j:" + digest(iss, jti) }

// digest hashes a and b, a length-prefixed so the pair is unambiguous.
func digest(a, b string) string {
	h := sha256.New()
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(a))))
	h.Write([]byte(a))
	h.Write([]byte(b))
	return hex.EncodeToString(h.Sum(nil))
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
