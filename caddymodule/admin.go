package caddymodule

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/internal/jsonnum"
	"github.com/authgate/authgate/session"
)

func init() {
	caddy.RegisterModule(AdminAPI{})
}

// AdminAPI serves the authgate admin endpoints on Caddy's admin listener
// (loopback by default): sessions under /authgate/sessions and the IdP-JWT
// deny-list under /authgate/revocations. Caddy loads admin.api modules by
// itself; there is nothing to configure.
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
	}
}

// maxAdminBody caps admin request bodies.
const maxAdminBody = 64 << 10

// serveAdmin checks the request and routes it. The admin module is
// provisioned before apps and lives across reloads, so the authgate app is
// looked up per request, and never created from here.
func serveAdmin(w http.ResponseWriter, r *http.Request) error {
	// Set first: Caddy's admin handler writes returned errors itself, and
	// keeps headers already set (SPEC: every authgate response is no-store).
	w.Header().Set("Cache-Control", "no-store")
	if err := checkAdminRequest(r); err != nil {
		return err
	}
	es, err := activeSessions()
	if err != nil {
		return err
	}
	a := &adminCall{es: es, w: w, r: r}
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case path == "/authgate/revocations":
		return a.revocations()
	case path == "/authgate/sessions":
		return a.sessions()
	}
	parts, ok := pathParts(r, "/authgate/sessions/")
	if !ok {
		return apiError(http.StatusNotFound, "resource not found")
	}
	switch {
	case len(parts) == 1:
		return a.session(parts[0])
	case len(parts) == 3 && parts[1] == "claims" && parts[2] != "":
		return a.claim(parts[0], parts[2])
	}
	return apiError(http.StatusNotFound, "resource not found")
}

// pathParts splits the escaped path below prefix and unescapes each
// segment, so a namespaced claim name may hold an escaped "/" (%2F).
func pathParts(r *http.Request, prefix string) ([]string, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSuffix(r.URL.EscapedPath(), "/"), prefix)
	if !ok {
		return nil, false
	}
	parts := strings.Split(rest, "/")
	for i, p := range parts {
		u, err := url.PathUnescape(p)
		if err != nil {
			return nil, false
		}
		parts[i] = u
	}
	return parts, true
}

// checkAdminRequest refuses what a browser could send: an Origin header,
// or a content type other than JSON (which a cross-origin page cannot
// send without a preflight the admin API never answers). A GET or DELETE
// with neither body nor Content-Type passes: a page cannot send a
// cross-origin DELETE without that preflight nor read a cross-origin GET's
// answer, so the header would protect nothing there, and plain `curl -X
// DELETE` works.
func checkAdminRequest(r *http.Request) error {
	if r.Header.Get("Origin") != "" {
		return apiError(http.StatusForbidden, "authgate admin calls must not carry an Origin header")
	}
	if bodilessRead(r) {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return apiError(http.StatusUnsupportedMediaType, "authgate admin calls must be Content-Type: application/json")
	}
	return nil
}

// bodilessRead reports a GET or DELETE that carries no body (no length,
// no chunked encoding) and no Content-Type.
func bodilessRead(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodDelete) &&
		r.ContentLength == 0 && len(r.TransferEncoding) == 0 && r.Header.Get("Content-Type") == ""
}

// activeSessions returns the running authgate app's edge sessions.
func activeSessions() (*edgeSessions, error) {
	appIface, err := caddy.ActiveContext().AppIfConfigured("authgate")
	if err != nil || appIface == nil {
		return nil, apiError(http.StatusServiceUnavailable, "the authgate app is not configured")
	}
	app, ok := appIface.(*App)
	if !ok || app.sessions == nil {
		return nil, apiError(http.StatusServiceUnavailable, "edge sessions are not configured (add a session block)")
	}
	return app.sessions, nil
}

// adminCall is one admin request.
type adminCall struct {
	es *edgeSessions
	w  http.ResponseWriter
	r  *http.Request
}

func (a *adminCall) decode(v any) error {
	data, err := io.ReadAll(io.LimitReader(a.r.Body, maxAdminBody+1))
	if err != nil || len(data) > maxAdminBody {
		return apiError(http.StatusBadRequest, "request body is unreadable or too large")
	}
	if err := jsonnum.Unmarshal(data, v); err != nil {
		return apiError(http.StatusBadRequest, "request body is not valid JSON: "+err.Error())
	}
	return nil
}

func (a *adminCall) reply(status int, v any) error {
	a.w.Header().Set("Content-Type", "application/json")
	a.w.Header().Set("Cache-Control", "no-store")
	a.w.WriteHeader(status)
	if v == nil {
		return nil
	}
	return json.NewEncoder(a.w).Encode(v)
}

// storeError maps a store failure to an API error.
func storeError(err error) error {
	switch {
	case errors.Is(err, session.ErrNotFound):
		return apiError(http.StatusNotFound, "no such session")
	case errors.Is(err, session.ErrReservedClaim):
		return apiError(http.StatusBadRequest, err.Error())
	}
	return caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: fmt.Errorf("session store: %w", err)}
}

func apiError(status int, msg string) error {
	return caddy.APIError{HTTPStatus: status, Err: errors.New(msg)}
}

func methodError(allowed string) error {
	return apiError(http.StatusMethodNotAllowed, "method not allowed; use "+allowed)
}

// Interface guards
var _ caddy.AdminRouter = AdminAPI{}
