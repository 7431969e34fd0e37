package authgatecli

import (
	"fmt"
	"net/http"
	"time"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
)

// healthCommand asks the running instance's admin endpoint whether the
// authgate app is live (/authgate/health) or ready (/authgate/ready), for
// exec probes and the Docker HEALTHCHECK, which cannot reach a loopback
// admin endpoint from outside or run curl in a distroless image. The
// admin address is found as `caddy reload` finds it: --address, else the
// admin listener of --config, else Caddy's default. Any answer of 400 or
// more is an error, which Caddy's main turns into exit status 1, and so is
// no answer within --timeout.
func healthCommand() *cobra.Command {
	var ready bool
	var timeout time.Duration
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
			data, err := adminRequest(addr, http.MethodGet, path, nil, 64<<10, timeout)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(data)
			return err
		},
	}
	c.Flags().DurationVar(&timeout, "timeout", defaultAdminTimeout, "fail when the admin endpoint has not answered within this time")
	c.Flags().BoolVar(&ready, "ready", false, "check readiness (the global ready option's checks) instead of liveness")
	c.Flags().StringVar(&address, "address", "", "admin endpoint address (default: from --config, else Caddy's default)")
	c.Flags().StringVarP(&configFile, "config", "c", "", "configuration file to read the admin address from")
	c.Flags().StringVarP(&adapter, "adapter", "a", "", "name of the config adapter to apply (with --config)")
	return c
}
