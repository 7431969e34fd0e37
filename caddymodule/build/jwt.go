package build

import (
	"crypto"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/caddymodule/pools"
	"github.com/authgate/authgate/verifier"
)

// Keys is the key source of a jwt block with its default algorithms.
type Keys struct {
	Source     verifier.KeySource
	Algorithms []string
	// PoolKey names the shared remote source of a jwks_url, which the app
	// releases at Cleanup (pools.ReleaseRemoteKeys); "" for local keys.
	PoolKey string
}

// KeySource builds the key source of a jwt block: the shared remote source
// of its jwks_url, or the keys read from its key_file or secret_file.
func KeySource(ctx caddy.Context, logger *zap.Logger, repl *caddy.Replacer, jc *config.JWTConfig) (Keys, error) {
	kinds := 0
	for _, set := range []bool{jc.JWKSURL != "", len(jc.KeyFiles) > 0, jc.SecretFile != ""} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return Keys{}, fmt.Errorf("exactly one of jwks_url, key_file or secret_file is required")
	}
	switch {
	case jc.JWKSURL != "":
		ks, key, err := pools.LoadRemoteKeys(ctx, logger, jc, repl.ReplaceKnown(jc.JWKSURL, ""))
		if err != nil {
			return Keys{}, err
		}
		return Keys{Source: ks, Algorithms: verifier.RemoteDefaultAlgorithms, PoolKey: key}, nil
	case jc.SecretFile != "":
		return secretKeySource(repl.ReplaceKnown(jc.SecretFile, ""))
	}
	keys, err := loadKeyFiles(repl, jc.KeyFiles)
	if err != nil {
		return Keys{}, err
	}
	return Keys{Source: verifier.NewStaticKeySource(keys), Algorithms: verifier.DefaultAlgorithms(keys)}, nil
}

func loadKeyFiles(repl *caddy.Replacer, files []string) ([]crypto.PublicKey, error) {
	var keys []crypto.PublicKey
	for _, f := range files {
		data, err := os.ReadFile(repl.ReplaceKnown(f, ""))
		if err != nil {
			return nil, fmt.Errorf("reading key_file: %w", err)
		}
		k, err := verifier.ParsePublicKeysPEM(data)
		if err != nil {
			return nil, fmt.Errorf("parsing key_file %s: %w", f, err)
		}
		keys = append(keys, k...)
	}
	return keys, nil
}

// secretKeySource reads a jwt block's secret_file and returns its key source
// with the default algorithms (see verifier.NewSecretKeySource).
func secretKeySource(path string) (Keys, error) {
	secret, err := os.ReadFile(path)
	if err != nil {
		return Keys{}, fmt.Errorf("reading secret_file: %w", err)
	}
	ks, algs, err := verifier.NewSecretKeySource(secret)
	if err != nil {
		return Keys{}, fmt.Errorf("secret_file: %w", err)
	}
	return Keys{Source: ks, Algorithms: algs}, nil
}

// JWT is the configuration of jc's verifier in verifier's terms, over its
// key source and the introspection verifier it rechecks with (nil: none).
func JWT(repl *caddy.Replacer, app *config.App, jc *config.JWTConfig, keys Keys, recheck verifier.Rechecker) verifier.JWTConfig {
	algs := keys.Algorithms
	if len(jc.Algorithms) > 0 {
		algs = jc.Algorithms
	}
	return verifier.JWTConfig{
		Name:             jc.Name,
		Issuer:           repl.ReplaceKnown(jc.Issuer, ""),
		Audiences:        audiences(jc.Audience),
		AnyAudience:      anyAudience(jc.Audience),
		Algorithms:       algs,
		Types:            jc.Types,
		Leeway:           time.Duration(jc.Leeway),
		MaxAge:           time.Duration(jc.MaxAge),
		Recheck:          recheck,
		RecheckExpired:   jc.RecheckExpired,
		SubjectTemplate:  jc.SubjectTemplate,
		Keys:             keys.Source,
		AllowBoundTokens: jc.AllowBoundTokens,
		MaxClaims:        app.MaxClaims,
		MaxDepth:         app.MaxClaimDepth,
	}
}

// anyAudience reports whether the audience list is the explicit "any".
func anyAudience(aud []string) bool {
	return len(aud) == 1 && strings.EqualFold(aud[0], "any")
}

func audiences(aud []string) []string {
	if anyAudience(aud) {
		return nil
	}
	return aud
}
