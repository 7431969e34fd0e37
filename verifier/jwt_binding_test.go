package verifier_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/verifiertest"
)

func TestBoundTokensNeedAnExplicitOptIn(t *testing.T) {
	key := verifiertest.NewECKey("k")
	keys := verifier.NewStaticKeySource([]crypto.PublicKey{key.Public()})
	claims := map[string]any{"iss": "https://b.example/", "aud": "app", "sub": "alice",
		"exp": testNow.Add(time.Hour).Unix(), "cnf": map[string]any{"jkt": "abc"}}
	tok := key.Mint(claims)
	cred := verifier.Credential{Value: tok}
	for _, tc := range []struct {
		name       string
		allow      bool
		wantReason verifier.Reason
	}{
		{"a token with cnf is refused by default", false, verifier.ReasonUnsupportedBinding},
		{"a verifier that opts in accepts it", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := newJWT(t, verifier.JWTConfig{Name: "b", Issuer: "https://b.example/", Audiences: []string{"app"},
				Algorithms: []string{"ES256"}, Keys: keys, AllowBoundTokens: tc.allow})
			_, err := v.Verify(context.Background(), cred)
			if got := verifier.ReasonOf(err); got != tc.wantReason {
				t.Fatalf("reason = %q (%v), want %q", got, err, tc.wantReason)
			}
		})
	}
}

// TestTokenDigestIgnoresTheSignatureEncoding rewrites an ES256 signature
// as (r, n−s): both verify, and both must name the same token.
func TestTokenDigestIgnoresTheSignatureEncoding(t *testing.T) {
	key := verifiertest.NewECKey("k")
	v := newJWT(t, verifier.JWTConfig{Name: "b", Issuer: "https://b.example/", Audiences: []string{"app"},
		Algorithms: []string{"ES256"}, Keys: verifier.NewStaticKeySource([]crypto.PublicKey{key.Public()})})
	tok := key.Mint(map[string]any{"iss": "https://b.example/", "aud": "app", "sub": "alice", "exp": testNow.Add(time.Hour).Unix()})
	i := strings.LastIndexByte(tok, '.')
	sig, _ := base64.RawURLEncoding.DecodeString(tok[i+1:])
	s := new(big.Int).SetBytes(sig[32:])
	s.Sub(key.Private.(*ecdsa.PrivateKey).Curve.Params().N, s)
	twin := tok[:i+1] + base64.RawURLEncoding.EncodeToString(append(sig[:32:32], s.FillBytes(make([]byte, 32))...))
	a, err := v.Verify(context.Background(), verifier.Credential{Value: tok})
	if err != nil {
		t.Fatal(err)
	}
	b, err := v.Verify(context.Background(), verifier.Credential{Value: twin})
	if err != nil {
		t.Fatalf("the high-S twin is refused: %v", err)
	}
	if a.TokenDigest == "" || a.TokenDigest != b.TokenDigest {
		t.Fatalf("digests %q and %q, want equal and set", a.TokenDigest, b.TokenDigest)
	}
}
