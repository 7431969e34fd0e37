package caddymodule

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/caddyserver/caddy/v2"
	"github.com/dgraph-io/ristretto/v2"
	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/claims"
	"github.com/authgate/authgate/forward"
	"github.com/authgate/authgate/internal/safecache"
	"github.com/authgate/authgate/verifier"
)

// Assertion constants. The type is refused as a credential by every
// verifier, so an assertion can never be replayed to the gateway itself.
const (
	assertionType    = "authgate-assertion+jwt"
	assertionKeyPath = "authgate/assertion/signing_key.pem"
)

// assertionSigner mints the short-lived JWTs forwarded by
// `header <Name> assertion`, and publishes its public key.
type assertionSigner struct {
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

// provisionAssertion sets up the signer when a header mapping asks for it.
func (a *App) provisionAssertion(ctx caddy.Context) error {
	var mapping *forward.Mapping
	for i := range a.headers {
		if !a.headers[i].IsAssertion() {
			continue
		}
		if mapping != nil {
			return fmt.Errorf("header %s: only one header may carry the assertion", a.headers[i].Name())
		}
		mapping = &a.headers[i]
	}
	if mapping == nil {
		// The endpoint exists on every gateway; without assertions the
		// set is empty rather than the path falling through to the app.
		a.registerEndpoint("jwks.json", serveJWKS([]byte(`{"keys":[]}`)))
		return nil
	}
	key, err := a.assertionKey(ctx)
	if err != nil {
		return fmt.Errorf("loading assertion key: %w", err)
	}
	s, err := newAssertionSigner(key, a.AssertionIssuer, time.Duration(a.AssertionTTL), forwardedClaims(a.headers))
	if err != nil {
		return err
	}
	a.cleanups = append(a.cleanups, func() error { s.cache.Close(); return nil })
	mapping.SetSigner(s.token)
	a.registerEndpoint("jwks.json", serveJWKS(s.jwks))
	return nil
}

func (a *App) assertionKey(ctx caddy.Context) (crypto.Signer, error) {
	if a.AssertionKeyFile != "" {
		data, err := os.ReadFile(caddy.NewReplacer().ReplaceKnown(a.AssertionKeyFile, ""))
		if err != nil {
			return nil, err
		}
		return parsePrivateKeyPEM(data)
	}
	return loadOrCreateKey(ctx, ctx.Storage(), assertionKeyPath, func() (crypto.Signer, error) {
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	})
}

func newAssertionSigner(key crypto.Signer, issuer string, ttl time.Duration, claims []string) (*assertionSigner, error) {
	method, err := signingMethodFor(key)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	s := &assertionSigner{key: key, method: method, kid: base64.RawURLEncoding.EncodeToString(sum[:12]),
		issuer: issuer, ttl: ttl, claims: claims}
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

// forwardedClaims lists the top-level claims the other header mappings
// forward; the assertion carries the same ones.
func forwardedClaims(mappings []forward.Mapping) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range mappings {
		for _, path := range m.ClaimPaths() {
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

// token returns a signed assertion of id for the app aud, reused while more
// than half of its lifetime is left: signing on every request would
// dominate the cost.
func (s *assertionSigner) token(id *verifier.Identity, aud string, now time.Time) string {
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
	t.Header["typ"] = assertionType
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
func (s *assertionSigner) cacheKey(id *verifier.Identity, aud string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d:%s\x00%s\x00%s\x00%s\x00%d", len(aud), aud, id.Verifier, id.Subject, id.SessionID, id.ExpiresAt.Unix())
	for _, name := range s.claims {
		v, _ := json.Marshal(id.Claims[name])
		h.Write([]byte{0})
		h.Write(v)
	}
	return string(h.Sum(nil))
}

// serveJWKS publishes the assertion public key.
func serveJWKS(body []byte) endpoint {
	return func(_ *Handler, w http.ResponseWriter, r *http.Request) error {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			return writeJSON(w, r, http.StatusMethodNotAllowed, "method_not_allowed", `{"error":"method_not_allowed"}`)
		}
		return writeJSON(w, r, http.StatusOK, "", string(body))
	}
}
