package caddymodule

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// endpoint serves one of the gateway's own paths (below the app's
// EndpointPrefix). Endpoints run after inbound identity headers are
// stripped and before authentication; each does its own checks.
type endpoint func(h *Handler, w http.ResponseWriter, r *http.Request) error

// registerEndpoint makes the app serve name (a path below the prefix, such
// as "session" or "logout") on every route whose endpoints are on.
func (a *App) registerEndpoint(name string, ep endpoint) {
	a.endpoints[name] = ep
}

// endpointFor finds the endpoint for r. The path is taken from the original
// request, before rewrites, so try_files or rewrite cannot hide it or make
// an app path look like one.
func (h *Handler) endpointFor(r *http.Request) (endpoint, bool) {
	eps := h.deps.endpoints
	if h.DisableEndpoints || len(eps.byName) == 0 {
		return nil, false
	}
	path := originalURL(r).Path
	if ep, ok := eps.callbacks[path]; ok { // oidc callbacks may lie outside the prefix
		return ep, true
	}
	name, ok := strings.CutPrefix(path, eps.prefix)
	if !ok {
		return nil, false
	}
	ep, ok := eps.byName[name]
	return ep, ok
}

// originalURL returns the request URL as it arrived, before rewrites.
// Caddy's copy of the original request keeps the URL, not the host or TLS
// state; rewrites change neither, so those are read from r itself.
func originalURL(r *http.Request) *url.URL {
	if or, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request); ok && or.URL != nil {
		return or.URL
	}
	return r.URL
}
