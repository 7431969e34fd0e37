package verifier

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// KeySource finds the key that verifies a token. It is the only thing a
// JWTVerifier needs from a key store, so tests and callers can supply their
// own.
//
// The returned jwt.Keyfunc is called after the token's algorithm has passed
// the verifier's allow-list. It reports a missing key as a *RejectedError
// (ReasonUnknownKey, ReasonAlgNotAllowed) and a key store that cannot answer
// as an *UnavailableError (ReasonKeysUnavailable); any other error is treated
// as keys unavailable, so a failing source never lets a token pass.
type KeySource interface {
	KeyfuncCtx(ctx context.Context) jwt.Keyfunc
}

// RemoteDefaultAlgorithms are the asymmetric algorithms accepted from a JWKS
// when none are configured. HMAC algorithms are never among them: a JWKS
// publishes public keys, and accepting HS* would let anyone who can read the
// JWKS sign tokens (RFC 8725 section 2.1).
var RemoteDefaultAlgorithms = []string{
	"RS256", "RS384", "RS512",
	"PS256", "PS384", "PS512",
	"ES256", "ES384", "ES512",
	"EdDSA",
}

// hmacAlgorithms are the symmetric algorithms, usable only with an HMAC key
// source.
var hmacAlgorithms = []string{"HS256", "HS384", "HS512"}

// minRSABits is the smallest RSA modulus accepted (RFC 7518 section 3.3).
const minRSABits = 2048

var (
	errNoKeyForAlg    = errors.New("no key for the token's algorithm")
	errKeyAlgMismatch = errors.New("key cannot verify the token's algorithm")
)

// DefaultAlgorithms returns the asymmetric algorithms that keys can verify:
// RS* and PS* for RSA keys, ES256/ES384/ES512 for EC keys on P-256/P-384/
// P-521, EdDSA for Ed25519 keys. Private keys count as their public half;
// keys of other types contribute nothing.
func DefaultAlgorithms(keys []crypto.PublicKey) []string {
	var algs []string
	for _, alg := range RemoteDefaultAlgorithms {
		for _, k := range keys {
			if keyFitsAlg(publicOf(k), alg) {
				algs = append(algs, alg)
				break
			}
		}
	}
	return algs
}

// keyFitsAlg reports whether key is a supported public key of the type alg
// needs. Checking the type ourselves, rather than letting the signature check
// fail, keeps key-confusion attempts distinguishable and never hands a key to
// an algorithm of another family.
func keyFitsAlg(key crypto.PublicKey, alg string) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return (strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")) && k.N.BitLen() >= minRSABits
	case *ecdsa.PublicKey:
		return alg == ecdsaAlg(k.Curve)
	case ed25519.PublicKey:
		return alg == "EdDSA" && len(k) == ed25519.PublicKeySize
	}
	return false
}

// ecdsaAlg names the one JWS algorithm defined for an EC curve (RFC 7518
// section 3.4); "" for curves JWS does not use.
func ecdsaAlg(c elliptic.Curve) string {
	switch c {
	case elliptic.P256():
		return "ES256"
	case elliptic.P384():
		return "ES384"
	case elliptic.P521():
		return "ES512"
	}
	return ""
}

// supportedPublicKey reports whether key can verify at least one algorithm.
func supportedPublicKey(key crypto.PublicKey) bool {
	return len(DefaultAlgorithms([]crypto.PublicKey{key})) > 0
}

// publicOf returns the public half of a private key and key itself otherwise,
// so private material handed to a key source is never used for verifying.
func publicOf(key any) any {
	if pk, ok := key.(interface{ Public() crypto.PublicKey }); ok {
		return pk.Public()
	}
	return key
}

// isHMAC reports whether alg is a symmetric algorithm.
func isHMAC(alg string) bool {
	return strings.HasPrefix(alg, "HS")
}
