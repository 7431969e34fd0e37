package authgatecli

import (
	"fmt"
	"io"
	"net/http"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
)

// healthCommand asks the running instance's admin endpoint whether the
// authgate app is live (/authgate/health) or ready (/authgate/ready), for
// exec probes and the Docker HEALTHCHECK, which cannot reach a loopback
// admin endpoint from outside or run curl in a distroless image. The
// admin address is found as `caddy reload` finds it: --address, else the
// admin listener of --config, else Caddy's default. Any answer of 400 or
// more is an error, which Caddy's main turns into exit status 1.
func healthCommand() *cobra.Command {
	var ready bool
	var address, configFile, adapter string
	c := &cobra.Command{
		Use:   "health [--ready] [--address ADDR] [--config FILE [--adapter caddyfile]]",
		Short: "Exits 0 when the running authgate app is live (or ready), else 1",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			addr, err := caddycmd.DetermineAdminAPIAddress(address, nil, configFile, adapter)
			if err != nil {
				return fmt.Errorf("finding the admin endpoint: %w", err)
			}
			path := "/authgate/health"
			if ready {
				path = "/authgate/ready"
			}
			// A nil Origin drops the one AdminAPIRequest would add, which
			// the admin endpoint refuses unless origins are configured.
			resp, err := caddycmd.AdminAPIRequest(addr, http.MethodGet, path, http.Header{"Origin": nil}, nil)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			_, err = io.Copy(cmd.OutOrStdout(), io.LimitReader(resp.Body, 64<<10))
			return err
		},
	}
	c.Flags().BoolVar(&ready, "ready", false, "check readiness (the global ready option's checks) instead of liveness")
	c.Flags().StringVar(&address, "address", "", "admin endpoint address (default: from --config, else Caddy's default)")
	c.Flags().StringVarP(&configFile, "config", "c", "", "configuration file to read the admin address from")
	c.Flags().StringVarP(&adapter, "adapter", "a", "", "name of the config adapter to apply (with --config)")
	return c
}
