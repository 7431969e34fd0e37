package caddymodule

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/certmagic"

	"github.com/authgate/authgate/verifier"
)

// Development mode constants. The dev issuer is deliberately not a URL so it
// can never be confused with a real identity provider.
const (
	devVerifierName = "dev"
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
// under a storage lock so concurrent instances agree on one key.
func loadOrCreateDevKey(ctx context.Context, st certmagic.Storage) (ed25519.PrivateKey, error) {
	if k, err := readDevKey(ctx, st); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	if err := st.Lock(ctx, devKeyPath); err != nil {
		return nil, fmt.Errorf("locking dev key: %w", err)
	}
	defer func() { _ = st.Unlock(ctx, devKeyPath) }()
	if k, err := readDevKey(ctx, st); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := st.Store(ctx, devKeyPath, data); err != nil {
		return nil, fmt.Errorf("storing dev key: %w", err)
	}
	return priv, nil
}

func readDevKey(ctx context.Context, st certmagic.Storage) (ed25519.PrivateKey, error) {
	data, err := st.Load(ctx, devKeyPath)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("dev key in storage is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing dev key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("dev key in storage is not Ed25519")
	}
	return priv, nil
}
