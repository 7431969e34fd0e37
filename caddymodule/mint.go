package caddymodule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/certmagic"
	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/claims"
)

// MintDevToken signs a token for the built-in dev verifier (`caddy authgate
// mint`) with the dev key kept in the Caddy storage below dataDir ("" means
// Caddy's default storage), creating the key there if missing. claimArgs
// are name=value pairs whose values are read like Caddyfile literals; each
// token gets a fresh jti.
func MintDevToken(ctx context.Context, dataDir, sub string, claimArgs []string, ttl time.Duration) (string, error) {
	return mintDevToken(ctx, devStorage(dataDir), sub, claimArgs, ttl)
}

func devStorage(dir string) certmagic.Storage {
	if dir == "" {
		return caddy.DefaultStorage
	}
	return &certmagic.FileStorage{Path: dir}
}

// mintDevToken signs a token for the built-in dev verifier.
func mintDevToken(ctx context.Context, st certmagic.Storage, sub string, claimArgs []string, ttl time.Duration) (string, error) {
	if sub == "" {
		return "", fmt.Errorf("--sub is required")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	key, err := loadOrCreateDevKey(ctx, st)
	if err != nil {
		return "", err
	}
	now := time.Now()
	mc := jwt.MapClaims{}
	for _, kv := range claimArgs {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return "", fmt.Errorf("--claim %q: expected name=value", name)
		}
		mc[name] = claims.ParseLiteral(val, false)
	}
	jti := make([]byte, 16)
	_, _ = rand.Read(jti)
	for k, v := range map[string]any{
		"iss": devIssuer, "aud": devAudience, "sub": sub, "jti": hex.EncodeToString(jti),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(ttl).Unix(),
	} {
		mc[k] = v
	}
	return jwt.NewWithClaims(jwt.SigningMethodEdDSA, mc).SignedString(key)
}
