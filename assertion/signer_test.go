package assertion

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/verifier"
)

var now = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func newSigner(t *testing.T, cfg Config) (*Signer, ed25519.PublicKey) {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(key, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, pub
}

func TestTokenCarriesTheIdentityForTheAudience(t *testing.T) {
	s, pub := newSigner(t, Config{Issuer: "https://gw.example", TTL: time.Minute, Claims: []string{"roles", "email"}})
	id := &verifier.Identity{Verifier: "idp", Subject: "alice", SessionID: "s1", ExpiresAt: now.Add(30 * time.Second),
		Claims: map[string]any{"roles": map[string]any{"v": []any{"admin"}, "t": 1.0}, "other": "x"}}
	signed := s.Token(id, "https://app.example", now)
	tok, err := jwt.Parse(signed, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithTimeFunc(func() time.Time { return now }), jwt.WithValidMethods([]string{"EdDSA"}))
	if err != nil {
		t.Fatalf("parsing the assertion: %v", err)
	}
	c := tok.Claims.(jwt.MapClaims)
	if tok.Header["typ"] != verifier.AssertionType || tok.Header["kid"] != s.kid {
		t.Errorf("header = %v", tok.Header)
	}
	if c["iss"] != "https://gw.example" || c["sub"] != "alice" || c["aud"] != "https://app.example" || c["sid"] != "s1" {
		t.Errorf("claims = %v", c)
	}
	if roles, _ := c["roles"].([]any); len(roles) != 1 || roles[0] != "admin" {
		t.Errorf("roles = %v, want the unwrapped value", c["roles"])
	}
	if _, ok := c["other"]; ok {
		t.Error("a claim that is not forwarded was copied")
	}
	if _, ok := c["email"]; ok {
		t.Error("a claim the identity lacks was set")
	}
	if exp, _ := c.GetExpirationTime(); !exp.Time.Equal(id.ExpiresAt) {
		t.Errorf("exp = %v, want the identity's expiry %v", exp, id.ExpiresAt)
	}
}

func TestTokenIsReusedForHalfItsLifetime(t *testing.T) {
	s, _ := newSigner(t, Config{Issuer: "gw", TTL: time.Minute})
	id := &verifier.Identity{Verifier: "idp", Subject: "alice"}
	first := s.Token(id, "app", now)
	s.cache.Wait()
	if again := s.Token(id, "app", now.Add(29*time.Second)); again != first {
		t.Error("a token with more than half its lifetime left was signed again")
	}
	if other := s.Token(id, "other-app", now); other == first {
		t.Error("another audience got the same token")
	}
	if later := s.Token(id, "app", now.Add(31*time.Second)); later == first {
		t.Error("a token past half its lifetime was reused")
	}
}

func TestJWKSPublishesThePublicKey(t *testing.T) {
	s, _ := newSigner(t, Config{Issuer: "gw", TTL: time.Minute})
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(s.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 || set.Keys[0]["kid"] != s.kid || set.Keys[0]["alg"] != "EdDSA" || set.Keys[0]["d"] != nil {
		t.Fatalf("JWKS = %s", s.JWKS())
	}
}

func TestNewRefusesWeakOrUnsupportedKeys(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	for name, key := range map[string]crypto.Signer{"EC P-384": p384, "RSA 1024": rsa1024} {
		if _, err := New(key, Config{}); err == nil {
			t.Errorf("%s was accepted", name)
		}
	}
}

func TestTopLevelClaims(t *testing.T) {
	got := TopLevelClaims([]string{"realm_access.roles", "email", "realm_access.groups", "sub", "sid", "org.id"})
	if want := []string{"realm_access", "email", "org"}; !slices.Equal(got, want) {
		t.Fatalf("TopLevelClaims = %v, want %v", got, want)
	}
}
