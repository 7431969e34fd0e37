package authgatecli

import (
	"bufio"
	"fmt"
	"time"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"

	// The authgate modules are registered wherever the command is, so a
	// config it adapts may name them.
	_ "github.com/authgate/authgate/caddymodule"
	"github.com/authgate/authgate/caddymodule/devkey"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "authgate",
		Usage: "mint --sub <subject> [--claim k=v]… [--ttl 1h] | health [--ready] [--address ADDR] | explain --url URL … | version | sessions list|revoke | revoke",
		Short: "Tools for the authgate gateway",
		Long: `
authgate subcommands:

  mint   prints a development token signed by the dev key that a gateway
         running with "dev" in its global authgate block trusts. The key
         lives in Caddy's default storage (or --data-dir), and is created
         there if missing. Claim values are read like Caddyfile values:
         --claim roles='["admin"]' is an array, --claim n=3 a number,
         --claim email=a@example.com a string. mint sets iss, aud, sub,
         jti, iat, nbf and exp itself and refuses them as --claim; --ttl
         must be positive.

  health prints the running authgate app's liveness, or with --ready its
         readiness, as JSON read from Caddy's admin endpoint (the address
         from --address, else from --config, else localhost:2019), and
         exits 0 when it is ok, 1 otherwise (also when the admin
         endpoint has not answered within --timeout, default 10s): for
         exec probes and the Docker HEALTHCHECK.

  explain --url URL [--method M] [--token T | --cookie n=v | --header 'N: v']…
          [--fetch] [--json] [--address ADDR | --config FILE [--adapter A]]
         explains how authgate would decide one request, without side
         effects: the route, the credential sources (by length and hash,
         never the value), the verifier and why, every validator with the
         value it saw, its age and max age, the claims a request would
         refresh (fetched only with --fetch), the decision with its status
         and body, and the identity headers. It asks the running instance
         (POST /authgate/explain on its admin endpoint, --address or
         Caddy's default), or with --config explains offline without
         starting servers (sessions only from Redis). Exits 0 when the
         request would be allowed, 1 when refused, 2 when undetermined
         (a call --fetch would make) or on error.

  version
         prints authgate's version (Caddy's own is "caddy version"):
         the module version or VCS revision Go recorded at build time,
         else the one the Dockerfile passes with -ldflags -X.

  sessions list --user <id>
  sessions revoke <session id> | --user <id>
  revoke --jti <jti> [--iss <issuer>] | --sub <subject> [--until T | --for 24h]
         call the authgate admin API of a running instance: list or
         revoke edge sessions, deny-list identity-provider JWTs. The
         admin endpoint is found like "caddy reload" finds it: --address,
         else the admin address in --config [--adapter], else Caddy's
         default. --json prints the API's answer; an error answer exits 1
         with the server's message, and so does no answer within
         --timeout (default 10s).
`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.AddCommand(mintCommand())
			cmd.AddCommand(healthCommand())
			cmd.AddCommand(explainCommand())
			cmd.AddCommand(versionCommand())
			cmd.AddCommand(sessionsCommand(), revokeCommand())
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
				tok, err := devkey.Mint(cmd.Context(), dataDir, sub, claims, ttl)
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
