package explain

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// Modes of a trace.
const (
	ModeLive    = "live"
	ModeOffline = "offline"
)

// Explain finds the authgate handler app would route the described
// request to, and traces how it would decide it. An error means the
// description is unusable (bad URL, no server on its port).
func Explain(ctx context.Context, app *caddyhttp.App, d Request, mode string) (*Trace, error) {
	r, err := d.HTTPRequest()
	if err != nil {
		return nil, err
	}
	t := &Trace{Mode: mode, Request: RequestTrace{Method: r.Method, URL: withoutQuery(d.URL), Fetch: d.Fetch}}
	h, prepared, route, stopped, err := selectHandler(app, r.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	t.Route = route
	if len(route.NotSimulated) > 0 {
		t.note("handlers before authgate were not simulated and may change the request: " + strings.Join(route.NotSimulated, ", "))
	}
	switch {
	case h == nil && stopped != "":
		t.Decision = Decision{Outcome: OutcomeNotProtected, Why: stopped + " answers the request before any authgate handler"}
	case h == nil:
		t.Decision = Decision{Outcome: OutcomeNotProtected, Why: "no authgate handler is on the request's way through the routes"}
	default:
		Run(ctx, h.ExplainRoute(), prepared, d, t)
	}
	return t, nil
}

// withoutQuery drops a URL's query and fragment and the user and password
// before its host, which may hold secrets: traces name the path only.
func withoutQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(not a URL)"
	}
	cut := u.RawQuery != "" || u.ForceQuery
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	if cut {
		return u.String() + "?…"
	}
	return u.String()
}

// statusText is the status line of a decision, for text output.
func statusText(status int) string {
	if status == 0 {
		return ""
	}
	return http.StatusText(status)
}
