package caddymodule

import (
	"net/http"

	"github.com/authgate/authgate/caddymodule/metrics"
	"github.com/authgate/authgate/forward"
	"github.com/authgate/authgate/internal/logthrottle"
	"github.com/authgate/authgate/oidclogin"
	"github.com/authgate/authgate/policy/checkhttp"
)

// deps is what a handler uses of the authgate app while serving requests.
// The handler receives it at Provision, so that the request path reads
// these values and never reaches back into the app.
type deps struct {
	maxTokenBytes int                  // the app's max_token_size
	headers       []forward.Mapping    // identity headers set upstream
	sessions      *edgeSessions        // nil: edge sessions off
	logins        *oidclogin.Set       // oidc blocks; strip login cookies when any
	endpoints     endpoints            // the gateway's own paths
	warnings      *logthrottle.Limiter // bounds repeated per-request warnings
	noteClientIP  func(*http.Request)  // warns once about client addresses limits cannot use
	requests      *metrics.Requests    // counts requests by outcome; nil: off
}

// endpoints are the gateway's own paths: names below prefix, and OIDC
// callbacks by full path (they may lie outside the prefix).
type endpoints struct {
	prefix    string
	byName    map[string]endpoint
	callbacks map[string]endpoint
	check     *checkhttp.Endpoint // serves byName["check"]
}

// handlerDeps hands a provisioned app's shared state to a handler.
func (a *App) handlerDeps() deps {
	return deps{
		maxTokenBytes: a.MaxTokenBytes,
		headers:       a.headers,
		sessions:      a.sessions,
		logins:        a.oidc,
		endpoints:     endpoints{prefix: a.EndpointPrefix, byName: a.endpoints, callbacks: a.callbacks, check: a.check},
		warnings:      a.warnings,
		noteClientIP:  a.noteClientIP,
		requests:      a.requests,
	}
}
