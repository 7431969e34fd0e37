package verifier

import (
	"context"
	"crypto"
	"slices"

	"github.com/golang-jwt/jwt/v5"
)

// StaticKeySource holds keys fixed at configuration time: either public keys
// (from key files) or one HMAC secret, never both.
type StaticKeySource struct {
	// byAlg maps each algorithm the keys can verify to the key, or to a
	// jwt.VerificationKeySet when several keys fit. Built once so the
	// per-request keyfunc neither allocates nor scans.
	byAlg  map[string]any
	secret []byte
	hmac   bool
}

// NewStaticKeySource returns a source for kid-less public keys. A token is
// checked against the keys whose type fits its algorithm; any kid header is
// ignored. Private keys are reduced to their public half. Keys of unsupported
// types (and RSA keys under 2048 bits) are never used.
func NewStaticKeySource(keys []crypto.PublicKey) *StaticKeySource {
	s := &StaticKeySource{byAlg: map[string]any{}}
	for _, alg := range RemoteDefaultAlgorithms {
		var fit []jwt.VerificationKey
		for _, k := range keys {
			if pub := publicOf(k); keyFitsAlg(pub, alg) {
				fit = append(fit, pub)
			}
		}
		switch len(fit) {
		case 0:
		case 1:
			s.byAlg[alg] = fit[0]
		default:
			s.byAlg[alg] = jwt.VerificationKeySet{Keys: fit}
		}
	}
	return s
}

// NewHMACKeySource returns a source for one shared secret. It serves HS256,
// HS384 and HS512 only; a verifier using it must not allow asymmetric
// algorithms, and NewJWTVerifier checks the secret is at least as long as
// the hash (RFC 7518 section 3.2).
func NewHMACKeySource(secret []byte) *StaticKeySource {
	return &StaticKeySource{secret: slices.Clone(secret), hmac: true}
}

// KeyfuncCtx returns the keyfunc for one token. The context is unused: a
// static source never waits.
func (s *StaticKeySource) KeyfuncCtx(context.Context) jwt.Keyfunc {
	return s.keyfunc
}

func (s *StaticKeySource) keyfunc(t *jwt.Token) (any, error) {
	alg := t.Method.Alg()
	if s.isHMAC() != isHMAC(alg) {
		return nil, Reject(ReasonAlgNotAllowed, errKeyAlgMismatch)
	}
	if s.isHMAC() {
		return s.secret, nil
	}
	if k, ok := s.byAlg[alg]; ok {
		return k, nil
	}
	return nil, Reject(ReasonUnknownKey, errNoKeyForAlg)
}

func (s *StaticKeySource) isHMAC() bool { return s.hmac }

// supports reports whether the source has a key for alg; NewJWTVerifier uses
// it to refuse allow-lists naming algorithms no key can verify.
func (s *StaticKeySource) supports(alg string) bool {
	if s.isHMAC() {
		return isHMAC(alg) && len(s.secret) >= hmacMinLen(alg)
	}
	_, ok := s.byAlg[alg]
	return ok
}

// HMACAlgorithms returns the HMAC algorithms secret is long enough for
// (RFC 7518 section 3.2 wants a key at least as long as the hash): HS256
// from 32 bytes, HS384 from 48, HS512 from 64; none below 32 bytes. It is
// the default allow-list of a secret file, so a 32-byte secret works
// without listing algorithms.
func HMACAlgorithms(secret []byte) []string {
	var algs []string
	for _, alg := range hmacAlgorithms {
		if len(secret) >= hmacMinLen(alg) {
			algs = append(algs, alg)
		}
	}
	return algs
}

// hmacMinLen is the smallest secret RFC 7518 section 3.2 allows for alg:
// as long as the hash output.
func hmacMinLen(alg string) int {
	switch alg {
	case "HS384":
		return 48
	case "HS512":
		return 64
	}
	return 32
}
