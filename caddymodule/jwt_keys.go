package caddymodule

import (
	"crypto"
	"fmt"
	"os"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/caddymodule/pools"
	"github.com/authgate/authgate/health"
	"github.com/authgate/authgate/verifier"
)

// keySource builds the key source of a jwt block and its default algorithms.
func (a *App) keySource(ctx caddy.Context, repl *caddy.Replacer, jc *config.JWTConfig) (verifier.KeySource, []string, error) {
	kinds := 0
	for _, set := range []bool{jc.JWKSURL != "", len(jc.KeyFiles) > 0, jc.SecretFile != ""} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return nil, nil, fmt.Errorf("exactly one of jwks_url, key_file or secret_file is required")
	}
	switch {
	case jc.JWKSURL != "":
		ks, key, err := pools.LoadRemoteKeys(ctx, a.logger, jc, repl.ReplaceKnown(jc.JWKSURL, ""))
		if err != nil {
			return nil, nil, err
		}
		a.poolKeys = append(a.poolKeys, key)
		if l, ok := ks.(health.KeysLoader); ok {
			a.health.JWKS[jc.Name] = l
		}
		return ks, verifier.RemoteDefaultAlgorithms, nil
	case jc.SecretFile != "":
		return secretKeySource(repl.ReplaceKnown(jc.SecretFile, ""))
	}
	keys, err := loadKeyFiles(repl, jc.KeyFiles)
	if err != nil {
		return nil, nil, err
	}
	return verifier.NewStaticKeySource(keys), verifier.DefaultAlgorithms(keys), nil
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
func secretKeySource(path string) (verifier.KeySource, []string, error) {
	secret, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading secret_file: %w", err)
	}
	ks, algs, err := verifier.NewSecretKeySource(secret)
	if err != nil {
		return nil, nil, fmt.Errorf("secret_file: %w", err)
	}
	return ks, algs, nil
}
