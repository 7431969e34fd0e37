package caddymodule

import (
	"net/http"

	"github.com/authgate/authgate/health"
)

// serveHealth answers GET and HEAD with a's liveness or readiness; a nil
// app (none configured) is not live.
func serveHealth(w http.ResponseWriter, r *http.Request, a *App, ready bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var h *health.Health
	if a != nil {
		h = a.health
	}
	switch {
	case !ready || h == nil:
		health.Write(w, r, h.Live())
	default:
		health.Write(w, r, h.Ready(r.Context()))
	}
}
