package caddymodule

import (
	"net/http"

	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/credential"
)

// serveSession serves /.authgate/session: GET tells who the caller is, POST
// exchanges an identity-provider JWT for a session (sessionhttp).
func serveSession(h *Handler, w http.ResponseWriter, r *http.Request) error {
	return h.deps.sessions.http.ServeSession(w, r, endpointRoute{h})
}

// serveLogout serves POST /.authgate/logout (sessionhttp).
func serveLogout(h *Handler, w http.ResponseWriter, r *http.Request) error {
	return h.deps.sessions.http.ServeLogout(w, r, endpointRoute{h})
}

// endpointRoute is the route serving a session endpoint, as
// sessionhttp.Route: it authenticates and answers as the handler does.
type endpointRoute struct{ h *Handler }

func (rt endpointRoute) Authenticate(r *http.Request) (*verifier.Identity, error) {
	return rt.h.authenticate(r, nil)
}

func (rt endpointRoute) Respond(w http.ResponseWriter, r *http.Request, err error) error {
	return rt.h.respond(w, r, err)
}

func (rt endpointRoute) Refuse(w http.ResponseWriter, r *http.Request, status int, reason, body string) error {
	return writeJSON(w, r, status, reason, body)
}

func (rt endpointRoute) Sources() []credential.Route { return rt.h.routes }

func methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) error {
	w.Header().Set("Allow", allow)
	return writeJSON(w, r, http.StatusMethodNotAllowed, "method_not_allowed", `{"error":"method_not_allowed"}`)
}
