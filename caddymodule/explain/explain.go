package explain

import (
	"context"
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/authgate/authgate/explain"
)

// Explainable is an authgate handler that can hand its parts to an
// explanation.
type Explainable interface {
	ExplainRoute() *explain.Route
}

// Explain finds the authgate handler app would route the described
// request to, and traces how it would decide it. An error means the
// description is unusable (bad URL, no server on its port).
func Explain(ctx context.Context, app *caddyhttp.App, d explain.Request, mode string) (*explain.Trace, error) {
	r, err := d.HTTPRequest()
	if err != nil {
		return nil, err
	}
	t := explain.NewTrace(mode, d, r)
	h, prepared, route, stopped, err := selectHandler(app, r.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	t.Route = route
	if len(route.NotSimulated) > 0 {
		t.Note("handlers before authgate were not simulated and may change the request: " + strings.Join(route.NotSimulated, ", "))
	}
	switch {
	case h == nil && stopped != "":
		t.Decision = explain.Decision{Outcome: explain.OutcomeNotProtected, Why: stopped + " answers the request before any authgate handler"}
	case h == nil:
		t.Decision = explain.Decision{Outcome: explain.OutcomeNotProtected, Why: "no authgate handler is on the request's way through the routes"}
	default:
		explain.Run(ctx, withoutOriginalQuery(h.ExplainRoute()), prepared, d, t)
	}
	return t, nil
}

// withoutOriginalQuery makes rt's responses see no query in Caddy's copy
// of the original request either: a login_url redirect carries the
// request's URL as its return address, and a query may hold secrets.
// (explain drops the query from the request itself.)
func withoutOriginalQuery(rt *explain.Route) *explain.Route {
	out := *rt
	out.Refuse, out.RefuseScript = stripOriginalQuery(rt.Refuse), stripOriginalQuery(rt.RefuseScript)
	return &out
}

type refuseFunc = func(w http.ResponseWriter, r *http.Request, err error) error

func stripOriginalQuery(refuse refuseFunc) refuseFunc {
	if refuse == nil {
		return nil
	}
	return func(w http.ResponseWriter, r *http.Request, err error) error {
		if or, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request); ok && or.URL != nil {
			u := *or.URL
			u.RawQuery, u.ForceQuery = "", false
			or.URL = &u
			r = r.WithContext(context.WithValue(r.Context(), caddyhttp.OriginalRequestCtxKey, or))
		}
		return refuse(w, r, err)
	}
}
