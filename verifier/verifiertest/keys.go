package verifiertest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"

	"github.com/MicahParks/jwkset"
)

// Key is a signing key with the kid and algorithm it is published under.
type Key struct {
	KID     string
	Alg     string
	Private crypto.Signer
	// Use is the JWK "use" it is published with: "sig", or "enc" for the
	// encryption key a JWKS may carry next to signing keys.
	Use string
}

// NewRSAKey returns a fresh 2048-bit RSA key for RS256.
func NewRSAKey(kid string) *Key {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	return &Key{KID: kid, Alg: "RS256", Private: k, Use: "sig"}
}

// NewECKey returns a fresh P-256 key for ES256.
func NewECKey(kid string) *Key {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	return &Key{KID: kid, Alg: "ES256", Private: k, Use: "sig"}
}

// NewEdKey returns a fresh Ed25519 key for EdDSA.
func NewEdKey(kid string) *Key {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	must(err)
	return &Key{KID: kid, Alg: "EdDSA", Private: k, Use: "sig"}
}

// NewKey returns a fresh key for alg: RS256, ES256 or EdDSA.
func NewKey(alg, kid string) *Key {
	switch alg {
	case "RS256":
		return NewRSAKey(kid)
	case "ES256":
		return NewECKey(kid)
	case "EdDSA":
		return NewEdKey(kid)
	}
	panic("verifiertest: no key generator for " + alg)
}

// Public returns the public key.
func (k *Key) Public() crypto.PublicKey { return k.Private.Public() }

// PublicPEM returns the public key as a PKIX "PUBLIC KEY" PEM block, the
// bytes an HS256-with-public-key forgery would use as its secret.
func (k *Key) PublicPEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	must(err)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// JWK returns the public JWK as published in a JWKS.
func (k *Key) JWK() json.RawMessage {
	alg := jwkset.ALG(k.Alg)
	if k.Use == "enc" {
		alg = jwkset.AlgRSAOAEP
	}
	jwk, err := jwkset.NewJWKFromKey(k.Public(), jwkset.JWKOptions{
		Metadata: jwkset.JWKMetadataOptions{KID: k.KID, ALG: alg, USE: jwkset.USE(k.Use)},
	})
	must(err)
	raw, err := json.Marshal(jwk.Marshal())
	must(err)
	return raw
}

// Mint signs claims with k under a header of alg, kid and typ "JWT".
func (k *Key) Mint(claims map[string]any) string {
	return k.MintHeader(map[string]any{"typ": "JWT"}, claims)
}

// MintHeader signs claims with k. header is used as given, plus the key's
// alg and kid where header does not set them (set "kid" to nil to leave it
// out).
func (k *Key) MintHeader(header, claims map[string]any) string {
	h := map[string]any{"alg": k.Alg, "kid": k.KID}
	for name, v := range header {
		h[name] = v
	}
	if h["kid"] == nil {
		delete(h, "kid")
	}
	return Sign(k.Alg, k.Private, h, claims)
}

func must(err error) {
	if err != nil {
		panic("verifiertest: " + err.Error())
	}
}
