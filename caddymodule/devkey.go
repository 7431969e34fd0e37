package caddymodule

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/certmagic"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/caddymodule/pools"
	"github.com/authgate/authgate/verifier"
)

// Development mode constants. The dev issuer is deliberately not a URL so it
// can never be confused with a real identity provider.
const (
	devVerifierName = config.DevVerifierName
	devIssuer       = "authgate-dev"
	devAudience     = "authgate-dev"
	devKeyPath      = "authgate/dev/signing_key.pem"
)

// provisionDev adds the built-in "dev" verifier, trusting the dev key kept
// in Caddy's storage (created on first use).
func (a *App) provisionDev(ctx caddy.Context) error {
	priv, err := loadOrCreateDevKey(ctx, ctx.Storage())
	if err != nil {
		return fmt.Errorf("loading dev key: %w", err)
	}
	keys := []crypto.PublicKey{priv.Public()}
	v, err := verifier.NewJWTVerifier(verifier.JWTConfig{
		Name:       devVerifierName,
		Issuer:     devIssuer,
		Audiences:  []string{devAudience},
		Algorithms: verifier.DefaultAlgorithms(keys),
		Keys:       verifier.NewStaticKeySource(keys),
		MaxClaims:  a.MaxClaims,
		MaxDepth:   a.MaxClaimDepth,
	})
	if err != nil {
		return err
	}
	sources, _ := sourcesOf(nil)
	a.addVerifier(devVerifierName, &verifierEntry{jwt: v, sources: sources})
	return nil
}

// loadOrCreateDevKey reads the Ed25519 dev key from storage, creating it
// on first use.
func loadOrCreateDevKey(ctx context.Context, st certmagic.Storage) (ed25519.PrivateKey, error) {
	key, err := pools.LoadOrCreateKey(ctx, st, devKeyPath, func() (crypto.Signer, error) {
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
