package assertion

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/dgraph-io/ristretto/v2"
	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/claims"
	"github.com/authgate/authgate/internal/safecache"
	"github.com/authgate/authgate/verifier"
)

// Signer mints the short-lived JWTs forwarded by `header <Name>
// assertion`, and renders its public key as a JWK Set. Their typ is
// verifier.AssertionType, which every verifier refuses as a credential, so
// an assertion can never be replayed to the gateway itself. A Signer is
// safe for concurrent use; Close releases its cache.
type Signer struct {
	key    crypto.Signer
	method jwt.SigningMethod
	kid    string
	issuer string
	ttl    time.Duration
	claims []string // top-level claims forwarded in the assertion
	cache  *safecache.Cache[string, signedAssertion]
	jwks   []byte
}

type signedAssertion struct {
	token   string
	renewAt time.Time
}

// Config says what a Signer puts into its assertions.
type Config struct {
	// Issuer is the iss of every assertion.
	Issuer string
	// TTL is the lifetime of an assertion; it never outlives the identity
	// it describes (its ExpiresAt).
	TTL time.Duration
	// Claims are the top-level claims copied from the identity (plain
	// values, {"v","t"} unwrapped), as the identity headers forward them.
	// See TopLevelClaims.
	Claims []string
}

// New returns a Signer over key: EC P-256 (ES256), RSA of 2048 bits or
// more (RS256) or Ed25519 (EdDSA). Its key ID is derived from the public
// key, so instances sharing the key publish the same JWKS.
func New(key crypto.Signer, cfg Config) (*Signer, error) {
	method, err := signingMethodFor(key)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	s := &Signer{key: key, method: method, kid: base64.RawURLEncoding.EncodeToString(sum[:12]),
		issuer: cfg.Issuer, ttl: cfg.TTL, claims: cfg.Claims}
	if s.jwks, err = publicJWKS(key.Public(), method.Alg(), s.kid); err != nil {
		return nil, err
	}
	s.cache, err = safecache.New(&ristretto.Config[string, signedAssertion]{NumCounters: 1e5, MaxCost: 1 << 24, BufferItems: 64})
	return s, err
}

func signingMethodFor(key crypto.Signer) (jwt.SigningMethod, error) {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		if k.Curve == elliptic.P256() {
			return jwt.SigningMethodES256, nil
		}
	case *rsa.PrivateKey:
		if k.N.BitLen() >= 2048 {
			return jwt.SigningMethodRS256, nil
		}
	case ed25519.PrivateKey:
		return jwt.SigningMethodEdDSA, nil
	}
	return nil, fmt.Errorf("assertion key must be EC P-256, RSA (2048 bits or more) or Ed25519")
}

// publicJWKS renders the public key as a JWK Set with jwkset.
func publicJWKS(pub crypto.PublicKey, alg, kid string) ([]byte, error) {
	jwk, err := jwkset.NewJWKFromKey(pub, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{
		ALG: jwkset.ALG(alg), KID: kid, USE: jwkset.UseSig,
	}})
	if err != nil {
		return nil, err
	}
	return json.Marshal(jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{jwk.Marshal()}})
}

// TopLevelClaims returns the distinct top-level claims of the claim paths
// ("realm_access" for "realm_access.roles"), in order, leaving out those
// an assertion sets itself (iss, sub, aud, exp, nbf, iat, jti, sid). Given
// the paths the identity headers forward, it lists what the assertion
// should carry.
func TopLevelClaims(paths []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, path := range paths {
		top := path
		for i := range top {
			if top[i] == '.' {
				top = top[:i]
				break
			}
		}
		if !seen[top] && !reservedClaim(top) {
			seen[top] = true
			out = append(out, top)
		}
	}
	return out
}

func reservedClaim(name string) bool {
	switch name {
	case "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid":
		return true
	}
	return false
}

// JWKS returns the public key as a JWK Set, for /.authgate/jwks.json.
func (s *Signer) JWKS() []byte { return s.jwks }

// Close releases the cache of signed assertions.
func (s *Signer) Close() { s.cache.Close() }

// Token returns a signed assertion of id for the app aud, or "" when
// signing fails. It is reused while more than half of its lifetime is
// left: signing on every request would dominate the cost.
func (s *Signer) Token(id *verifier.Identity, aud string, now time.Time) string {
	key := s.cacheKey(id, aud)
	if hit, ok := s.cache.Get(key); ok && now.Before(hit.renewAt) {
		return hit.token
	}
	exp := now.Add(s.ttl)
	if !id.ExpiresAt.IsZero() && id.ExpiresAt.Before(exp) {
		exp = id.ExpiresAt
	}
	out := jwt.MapClaims{"iss": s.issuer, "sub": id.Subject, "aud": aud, "iat": now.Unix(), "exp": exp.Unix()}
	if id.SessionID != "" {
		out["sid"] = id.SessionID
	}
	for _, name := range s.claims {
		if v, ok := id.Claims[name]; ok {
			out[name], _, _ = claims.Unwrap(v) // as the headers forward it
		}
	}
	t := jwt.NewWithClaims(s.method, out)
	t.Header["typ"] = verifier.AssertionType
	t.Header["kid"] = s.kid
	signed, err := t.SignedString(s.key)
	if err != nil {
		return ""
	}
	s.cache.SetWithTTL(key, signedAssertion{token: signed, renewAt: now.Add(exp.Sub(now) / 2)}, int64(len(signed)), exp.Sub(now)/2)
	return signed
}

// cacheKey identifies what an assertion says: its audience, the subject,
// the session and every forwarded claim value.
func (s *Signer) cacheKey(id *verifier.Identity, aud string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d:%s\x00%s\x00%s\x00%s\x00%d", len(aud), aud, id.Verifier, id.Subject, id.SessionID, id.ExpiresAt.Unix())
	for _, name := range s.claims {
		v, _ := json.Marshal(id.Claims[name])
		h.Write([]byte{0})
		h.Write(v)
	}
	return string(h.Sum(nil))
}
