package caddymodule

import (
	"fmt"
	"net/http"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	caddy.RegisterModule(HealthHandler{})
	httpcaddyfile.RegisterHandlerDirective("authgate_health", parseHealthCaddyfile)
	// Before every authentication directive (authgate sits before
	// request_header), so that a probe path on a protected site needs no
	// credential.
	httpcaddyfile.RegisterDirectiveOrder("authgate_health", httpcaddyfile.Before, "basicauth")
}

// HealthHandler answers probes on a site, for orchestrators that cannot
// reach Caddy's loopback admin endpoint: the authgate app's liveness, or
// with Ready its readiness (the checks of the global `ready` option), as
// JSON with 200 or 503. It answers GET and HEAD and never calls the next
// handler.
type HealthHandler struct {
	// Ready answers readiness instead of liveness. Default: false.
	Ready bool `json:"ready,omitempty"`

	app *App
}

// CaddyModule returns the Caddy module information.
func (HealthHandler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.authgate_health",
		New: func() caddy.Module { return new(HealthHandler) },
	}
}

// Provision binds the handler to the authgate app of its configuration.
func (h *HealthHandler) Provision(ctx caddy.Context) error {
	appIface, err := ctx.App("authgate")
	if err != nil {
		return fmt.Errorf("loading authgate app: %w", err)
	}
	h.app = appIface.(*App)
	return nil
}

// ServeHTTP writes the health report of the running authgate app.
func (h *HealthHandler) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	serveHealth(w, r, h.reportingApp(), h.Ready)
	return nil
}

// reportingApp is the app a probe is answered for: the handler's own while
// it runs, else the active config's. A reload starts the new config before
// it stops the old one, and apps start and stop in no fixed order, so
// either config's servers may answer while their own app is not running
// (not yet started, or stopping for the config that replaced it): those
// probes get the running instance's health, not "not running". The own app
// comes first so that a config never reports another config's checks
// while its own app runs.
func (h *HealthHandler) reportingApp() *App {
	if h.app != nil && h.app.health != nil && h.app.health.Running.Load() {
		return h.app
	}
	if active, err := activeApp(); err == nil {
		return active
	}
	return h.app
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens:
//
//	authgate_health [<matcher>] [ready]
func (h *HealthHandler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		if d.Val() != "ready" {
			return d.Errf("unrecognized authgate_health argument %q: want ready or nothing", d.Val())
		}
		h.Ready = true
	}
	if d.NextArg() || d.NextBlock(0) {
		return d.ArgErr()
	}
	return nil
}

// parseHealthCaddyfile is the adapter for the `authgate_health` directive.
func parseHealthCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	handler := new(HealthHandler)
	err := handler.UnmarshalCaddyfile(h.Dispenser)
	return handler, err
}

// Interface guards
var (
	_ caddy.Provisioner           = (*HealthHandler)(nil)
	_ caddyhttp.MiddlewareHandler = (*HealthHandler)(nil)
	_ caddyfile.Unmarshaler       = (*HealthHandler)(nil)
)
