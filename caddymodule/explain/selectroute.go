package explain

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/authgate/authgate/explain"
)

// answering are handlers that write a response and call no next handler:
// a request they take never reaches an authgate handler after them.
var answering = map[string]bool{
	"http.handlers.static_response": true, "http.handlers.reverse_proxy": true, "http.handlers.file_server": true,
	"http.handlers.error": true, "http.handlers.authgate_health": true, "http.handlers.metrics": true,
}

// walker finds the authgate handler a request reaches, evaluating matchers
// and executing no handler.
type walker struct {
	r       *http.Request
	trace   explain.RouteTrace
	found   Explainable
	stopped string // the handler that answers before any authgate handler
}

// selectHandler picks the server listening on r's port and walks its
// routes. It returns the handler (nil: none) and r prepared as that
// server prepares requests (replacer, original request, client IP).
func selectHandler(app *caddyhttp.App, r *http.Request) (Explainable, *http.Request, *explain.RouteTrace, string, error) {
	name, srv, err := serverFor(app, r)
	if err != nil {
		return nil, nil, nil, "", err
	}
	repl := caddy.NewReplacer()
	r = caddyhttp.PrepareRequest(r, repl, httptest.NewRecorder(), srv)
	w := &walker{r: r, trace: explain.RouteTrace{Server: name}}
	w.routes(srv.Routes, "")
	return w.found, r, &w.trace, w.stopped, nil
}

// serverFor returns the first server (by name) listening on r's port.
func serverFor(app *caddyhttp.App, r *http.Request) (string, *caddyhttp.Server, error) {
	if app == nil {
		return "", nil, fmt.Errorf("the configuration has no HTTP app")
	}
	port := r.URL.Port()
	if port == "" {
		port = "80"
		if r.URL.Scheme == "https" {
			port = "443"
		}
	}
	p, _ := strconv.ParseUint(port, 10, 32)
	names := make([]string, 0, len(app.Servers))
	for n := range app.Servers {
		names = append(names, n)
	}
	slices.Sort(names)
	repl := caddy.NewReplacer()
	for _, n := range names {
		for _, l := range app.Servers[n].Listen {
			addr, err := caddy.ParseNetworkAddress(repl.ReplaceKnown(l, ""))
			if err == nil && !addr.IsUnixNetwork() && uint(p) >= addr.StartPort && uint(p) <= addr.EndPort {
				return n, app.Servers[n], nil
			}
		}
	}
	return "", nil, fmt.Errorf("no server of the HTTP app listens on port %s", port)
}

// routes walks one route list as caddyhttp runs it: matching routes in
// order, one per group, stopping after a terminal one. It reports whether
// the walk is over (a handler found, or a response written).
func (w *walker) routes(rl caddyhttp.RouteList, prefix string) bool {
	groups := map[string]bool{}
	for i, route := range rl {
		if route.Group != "" && groups[route.Group] {
			continue
		}
		if len(route.MatcherSets) > 0 {
			if ok, err := route.MatcherSets.AnyMatchWithError(w.r); err != nil || !ok {
				continue
			}
		}
		if route.Group != "" {
			groups[route.Group] = true
		}
		w.trace.Path = append(w.trace.Path, prefix+describe(i, route))
		if w.handlers(route.Handlers, prefix+"  ") {
			return true
		}
		w.trace.Path = w.trace.Path[:len(w.trace.Path)-1]
		if route.Terminal {
			return false
		}
	}
	return false
}

// handlers walks one route's handlers in order.
func (w *walker) handlers(hs []caddyhttp.MiddlewareHandler, prefix string) bool {
	for _, h := range hs {
		switch x := h.(type) {
		case Explainable:
			w.found = x
			return true
		case *caddyhttp.Subroute:
			if w.routes(x.Routes, prefix) {
				return true
			}
			continue
		}
		id := moduleID(h)
		if answering[id] {
			w.stopped = id
			return true
		}
		w.trace.NotSimulated = append(w.trace.NotSimulated, id)
	}
	return false
}

func moduleID(h caddyhttp.MiddlewareHandler) string {
	if m, ok := h.(caddy.Module); ok {
		return string(m.CaddyModule().ID)
	}
	return fmt.Sprintf("%T", h)
}

// describe names a matched route by its index and matchers: the values of
// host, path and method matchers, the names of others (their values, such
// as a header's, may be secrets).
func describe(i int, route caddyhttp.Route) string {
	var sets []string
	for _, set := range route.MatcherSets {
		parts := make([]string, 0, len(set))
		for _, m := range set {
			parts = append(parts, matcherText(m))
		}
		sets = append(sets, strings.Join(parts, ", "))
	}
	s := "route " + strconv.Itoa(i)
	if len(sets) > 0 {
		s += " (" + strings.Join(sets, " | ") + ")"
	}
	return s
}

func matcherText(m any) string {
	switch x := m.(type) {
	case *caddyhttp.MatchHost:
		return "host " + strings.Join(*x, " ")
	case *caddyhttp.MatchPath:
		return "path " + strings.Join(*x, " ")
	case *caddyhttp.MatchMethod:
		return "method " + strings.Join(*x, " ")
	case caddy.Module:
		return strings.TrimPrefix(string(x.CaddyModule().ID), "http.matchers.")
	}
	return fmt.Sprintf("%T", m)
}
