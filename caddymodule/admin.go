package caddymodule

import (
	"errors"
	"net/http"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/caddymodule/explain"
	"github.com/authgate/authgate/session/sessionhttp"
)

func init() {
	caddy.RegisterModule(AdminAPI{})
}

// AdminAPI serves the authgate admin endpoints on Caddy's admin listener
// (loopback by default): sessions under /authgate/sessions, the IdP-JWT
// deny-list under /authgate/revocations, liveness and readiness at
// /authgate/health and /authgate/ready, and decisions explained at
// /authgate/explain. Caddy loads admin.api modules by itself; there is
// nothing to configure.
type AdminAPI struct{}

// CaddyModule returns the Caddy module information.
func (AdminAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "admin.api.authgate",
		New: func() caddy.Module { return new(AdminAPI) },
	}
}

// Routes returns the admin routes.
func (AdminAPI) Routes() []caddy.AdminRoute {
	h := caddy.AdminHandlerFunc(serveAdmin)
	return []caddy.AdminRoute{
		{Pattern: "/authgate/sessions", Handler: h},
		{Pattern: "/authgate/sessions/", Handler: h},
		{Pattern: "/authgate/revocations", Handler: h},
		{Pattern: "/authgate/health", Handler: adminHealth(false)},
		{Pattern: "/authgate/ready", Handler: adminHealth(true)},
		{Pattern: "/authgate/explain", Handler: caddy.AdminHandlerFunc(explain.Admin)},
	}
}

// serveAdmin checks the request and hands it to the running app's admin
// API (sessionhttp.Admin). The admin module is provisioned before apps
// and lives across reloads, so the authgate app is looked up per request,
// and never created from here.
func serveAdmin(w http.ResponseWriter, r *http.Request) error {
	// Set first: Caddy's admin handler writes returned errors itself, and
	// keeps headers already set; every authgate response is no-store.
	w.Header().Set("Cache-Control", "no-store")
	if err := sessionhttp.CheckAdminRequest(r); err != nil {
		return adminError(err)
	}
	admin, err := activeAdmin()
	if err != nil {
		return err
	}
	return adminError(admin.Serve(w, r))
}

// activeAdmin returns the running authgate app's session admin API.
func activeAdmin() (*sessionhttp.Admin, error) {
	app, err := activeApp()
	if err != nil {
		return nil, err
	}
	if app.sessions == nil {
		return nil, caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: errors.New("edge sessions are not configured (add a session block)")}
	}
	return app.sessions.admin, nil
}

// adminHealth answers liveness (or readiness) of the running authgate
// app: 503 when none runs.
func adminHealth(ready bool) caddy.AdminHandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		app, _ := activeApp()
		serveHealth(w, r, app, ready)
		return nil
	}
}

// activeApp returns the running authgate app, or an error when the
// running configuration has none.
func activeApp() (*App, error) {
	appIface, err := caddy.ActiveContext().AppIfConfigured("authgate")
	app, ok := appIface.(*App)
	if err != nil || !ok {
		return nil, caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: errors.New("the authgate app is not configured")}
	}
	return app, nil
}

// adminError turns a refused admin call into the error Caddy's admin
// handler writes with its status.
func adminError(err error) error {
	var refused *sessionhttp.APIError
	if errors.As(err, &refused) {
		return caddy.APIError{HTTPStatus: refused.Status, Err: refused.Err}
	}
	return err
}

// Interface guards
var _ caddy.AdminRouter = AdminAPI{}
