package devkey

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"

	"github.com/caddyserver/certmagic"

	"github.com/authgate/authgate/caddymodule/pools"
	"github.com/authgate/authgate/verifier"
)

// The issuer and audience of dev tokens, and where the dev key lives in
// Caddy's storage.
const (
	Issuer   = "authgate-dev"
	Audience = "authgate-dev"
	keyPath  = "authgate/dev/signing_key.pem"
)

// Verifier builds the verifier named name that trusts the dev key kept in
// st (created on first use), with the app's limits on claims.
func Verifier(ctx context.Context, st certmagic.Storage, name string, maxClaims, maxDepth int) (*verifier.JWTVerifier, error) {
	priv, err := LoadOrCreate(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("loading dev key: %w", err)
	}
	keys := []crypto.PublicKey{priv.Public()}
	return verifier.NewJWTVerifier(verifier.JWTConfig{
		Name:       name,
		Issuer:     Issuer,
		Audiences:  []string{Audience},
		Algorithms: verifier.DefaultAlgorithms(keys),
		Keys:       verifier.NewStaticKeySource(keys),
		MaxClaims:  maxClaims,
		MaxDepth:   maxDepth,
	})
}

// LoadOrCreate reads the Ed25519 dev key from storage, creating it on
// first use.
func LoadOrCreate(ctx context.Context, st certmagic.Storage) (ed25519.PrivateKey, error) {
	key, err := pools.LoadOrCreateKey(ctx, st, keyPath, func() (crypto.Signer, error) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	})
	if err != nil {
		return nil, err
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("dev key in storage is not Ed25519")
	}
	return priv, nil
}
