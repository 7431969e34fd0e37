package authgatecli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"

	caddyexplain "github.com/authgate/authgate/caddymodule/explain"
	"github.com/authgate/authgate/explain"
)

// explainFlags are the flags of `caddy authgate explain`.
type explainFlags struct {
	req                      explain.Request
	address, config, adapter string
	json                     bool
}

// explainCommand traces how authgate would decide one request: through
// the running instance's admin API (POST /authgate/explain), or offline
// from --config without a running server. It prints the trace, and exits
// 0 when the request would be allowed, 1 when refused, 2 when the
// decision is undetermined or explaining failed.
func explainCommand() *cobra.Command {
	c, _ := newExplainCommand()
	return c
}

// newExplainCommand returns the command and the flags it fills.
func newExplainCommand() (*cobra.Command, *explainFlags) {
	f := &explainFlags{}
	c := &cobra.Command{
		Use:   "explain --url URL [--method GET] [--token T | --cookie name=value | --header 'Name: value']… [--check NAME | --permission P]… [--fetch] [--json] [--address ADDR | --config FILE [--adapter caddyfile]]",
		Short: "Explains how authgate would decide one request, without side effects",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			status, err := f.run(cmd.Context(), cmd.OutOrStdout())
			if status == 0 {
				return nil
			}
			// Caddy's main exits with the status carried by this wrapper's
			// error (1 when it carries an error alone).
			return caddycmd.WrapCommandFuncForCobra(func(caddycmd.Flags) (int, error) { return status, err })(cmd, nil)
		},
	}
	c.Flags().StringVar(&f.req.Method, "method", "GET", "request method")
	c.Flags().StringVar(&f.req.URL, "url", "", "absolute URL of the request (required)")
	c.Flags().StringVar(&f.req.Token, "token", "", "send this token as Authorization: Bearer")
	c.Flags().StringArrayVar(&f.req.Cookies, "cookie", nil, "send a cookie, name=value (repeatable)")
	c.Flags().StringArrayVar(&f.req.Headers, "header", nil, "send a header, 'Name: value' (repeatable)")
	c.Flags().StringArrayVar(&f.req.Checks, "check", nil, "explain the check endpoint's answer to this named check (repeatable)")
	c.Flags().StringArrayVar(&f.req.Permissions, "permission", nil, "explain the check endpoint's answer to this permission (repeatable)")
	c.Flags().BoolVar(&f.req.Fetch, "fetch", false, "call claim sources and introspection endpoints (never called without it)")
	c.Flags().BoolVar(&f.json, "json", false, "print the trace as JSON")
	c.Flags().StringVar(&f.address, "address", "", "admin endpoint of the running instance (default: Caddy's default localhost:2019)")
	c.Flags().StringVarP(&f.config, "config", "c", "", "explain offline against this config file instead of a running instance")
	c.Flags().StringVarP(&f.adapter, "adapter", "a", "", "name of the config adapter to use with --config")
	_ = c.MarkFlagRequired("url")
	return c, f
}

// errRefused is the command's error when the request would be refused.
var errRefused = errors.New("the request would be refused")

// run explains the request and prints the trace. It returns the exit
// status: 0 allowed, 1 refused, 2 undetermined or failed.
func (f *explainFlags) run(ctx context.Context, out io.Writer) (int, error) {
	var t *explain.Trace
	var err error
	if f.config != "" {
		t, err = f.offline(ctx)
	} else {
		t, err = f.live()
	}
	if err != nil {
		return 2, err
	}
	if f.json {
		err = printTrace(out, t)
	} else {
		err = t.WriteText(out)
	}
	if err != nil {
		return 2, err
	}
	switch t.ExitCode() {
	case 0:
		return 0, nil
	case 1:
		return 1, fmt.Errorf("%w: %s", errRefused, t.Decision.Outcome)
	}
	return 2, fmt.Errorf("the decision is undetermined: %s", t.Decision.Why)
}

// live asks the running instance's admin API.
func (f *explainFlags) live() (*explain.Trace, error) {
	addr, err := caddycmd.DetermineAdminAPIAddress(f.address, nil, "", "")
	if err != nil {
		return nil, fmt.Errorf("finding the admin endpoint: %w", err)
	}
	body, err := json.Marshal(f.req)
	if err != nil {
		return nil, err
	}
	// A nil Origin drops the one AdminAPIRequest would add: the authgate
	// admin API refuses calls that carry one.
	resp, err := caddycmd.AdminAPIRequest(addr, http.MethodPost, "/authgate/explain", http.Header{"Origin": nil}, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	var t explain.Trace
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("decoding the trace: %w", err)
	}
	return &t, nil
}

// offline provisions --config without starting it and explains there.
func (f *explainFlags) offline(ctx context.Context) (*explain.Trace, error) {
	cfg, _, _, err := caddycmd.LoadConfig(f.config, f.adapter)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", f.config, err)
	}
	if cfg == nil {
		return nil, fmt.Errorf("loading %s: no configuration", f.config)
	}
	return caddyexplain.Offline(ctx, cfg, f.req)
}

// printTrace writes t as indented JSON.
func printTrace(w io.Writer, t *explain.Trace) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(t)
}
