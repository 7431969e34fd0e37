package caddymodule

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/caddyserver/certmagic"
	"github.com/golang-jwt/jwt/v5"
	"github.com/spf13/cobra"

	"github.com/authgate/authgate/claims"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "authgate",
		Usage: "mint --sub <subject> [--claim k=v]… [--ttl 1h]",
		Short: "Tools for the authgate gateway",
		Long: `
authgate subcommands:

  mint   prints a development token signed by the dev key that a gateway
         running with "dev" in its global authgate block trusts. The key
         lives in Caddy's default storage (or --data-dir), and is created
         there if missing. Claim values are read like Caddyfile values:
         --claim roles='["admin"]' is an array, --claim n=3 a number,
         --claim email=a@example.com a string.
`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.AddCommand(mintCommand())
		},
	})
}

func mintCommand() *cobra.Command {
	var sub, dataDir string
	var claims []string
	var ttl time.Duration
	var count int
	c := &cobra.Command{
		Use:   "mint --sub <subject> [--claim k=v]… [--ttl 1h]",
		Short: "Prints a development token for a gateway in dev mode",
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := bufio.NewWriter(cmd.OutOrStdout())
			defer out.Flush()
			for i := 0; i < max(count, 1); i++ {
				// Each token gets its own jti, so --count yields distinct
				// tokens (for load tests of the cold verification path).
				tok, err := mintDevToken(cmd.Context(), devStorage(dataDir), sub, claims, ttl)
				if err != nil {
					return err
				}
				fmt.Fprintln(out, tok)
			}
			return nil
		},
	}
	c.Flags().StringVar(&sub, "sub", "", "subject (required)")
	c.Flags().StringArrayVar(&claims, "claim", nil, "claim as name=value (repeatable)")
	c.Flags().DurationVar(&ttl, "ttl", time.Hour, "token lifetime")
	c.Flags().IntVar(&count, "count", 1, "number of distinct tokens to print, one per line")
	c.Flags().StringVar(&dataDir, "data-dir", "", "Caddy data directory holding the dev key (default: Caddy's)")
	return c
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
