package devkey

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/certmagic"
	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/claims"
)

// Mint signs a token for the built-in dev verifier (`caddy authgate
// mint`) with the dev key kept in the Caddy storage below dataDir ("" means
// Caddy's default storage), creating the key there if missing. claimArgs
// are name=value pairs whose values are read like Caddyfile literals; each
// token gets a fresh jti. A claim the command sets itself (iss, aud, sub,
// jti, iat, nbf, exp) is refused rather than silently replaced, and so is a
// ttl that is not positive (the token would be born expired).
func Mint(ctx context.Context, dataDir, sub string, claimArgs []string, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		return "", fmt.Errorf("--ttl %s: must be positive", ttl)
	}
	for _, kv := range claimArgs {
		name, _, _ := strings.Cut(kv, "=")
		if slices.Contains(mintedClaims, name) {
			return "", fmt.Errorf("--claim %s: mint sets %s itself (--sub gives the subject, --ttl the lifetime)", name, strings.Join(mintedClaims, ", "))
		}
	}
	return MintIn(ctx, devStorage(dataDir), sub, claimArgs, ttl)
}

// mintedClaims are the registered claims MintIn sets on every token.
var mintedClaims = []string{"iss", "aud", "sub", "jti", "iat", "nbf", "exp"}

func devStorage(dir string) certmagic.Storage {
	if dir == "" {
		return caddy.DefaultStorage
	}
	return &certmagic.FileStorage{Path: dir}
}

// MintIn signs a token for the built-in dev verifier with the dev key kept
// in st. Unlike Mint it takes any ttl and silently sets the registered
// claims over claimArgs naming them, so tests can make expired tokens.
func MintIn(ctx context.Context, st certmagic.Storage, sub string, claimArgs []string, ttl time.Duration) (string, error) {
	if sub == "" {
		return "", fmt.Errorf("--sub is required")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	key, err := LoadOrCreate(ctx, st)
	if err != nil {
		return "", err
	}
	now := time.Now()
	mc := jwt.MapClaims{}
	for _, kv := range claimArgs {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return "", fmt.Errorf("--claim %q: expected name=value", kv)
		}
		mc[name] = claims.ParseLiteral(val, false)
	}
	jti := make([]byte, 16)
	_, _ = rand.Read(jti)
	for k, v := range map[string]any{
		"iss": Issuer, "aud": Audience, "sub": sub, "jti": hex.EncodeToString(jti),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(ttl).Unix(),
	} {
		mc[k] = v
	}
	return jwt.NewWithClaims(jwt.SigningMethodEdDSA, mc).SignedString(key)
}
