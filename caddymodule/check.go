package caddymodule

import (
	"fmt"
	"net/http"
	"time"

	"github.com/authgate/authgate/caddymodule/build"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/policy/checkhttp"
)

// provisionCheck serves /.authgate/check (package checkhttp) over the
// global validators and the named checks.
func (a *App) provisionCheck() error {
	named := make(map[string]*policy.Policy, len(a.Checks))
	for name, reqs := range a.Checks {
		p, err := build.Policy(reqs, a.policyOpt)
		if err != nil {
			return fmt.Errorf("check %q: %w", name, err)
		}
		named[name] = p
	}
	ep, err := checkhttp.New(checkhttp.Config{Global: a.global, Checks: named, Options: a.policyOpt,
		Events: a.CheckLimit.Events, Window: time.Duration(a.CheckLimit.Window)})
	a.check = ep
	a.registerEndpoint("check", func(h *Handler, w http.ResponseWriter, r *http.Request) error {
		return ep.Serve(w, r, checkRoute{endpointRoute{h}})
	})
	return err // on error, provisioning fails and nothing is served
}

// checkRoute answers as the route does, but never sends a browser to log
// in: the check endpoint is for scripts, which want the 401.
type checkRoute struct{ endpointRoute }

func (rt checkRoute) Respond(w http.ResponseWriter, r *http.Request, err error) error {
	api := *rt.h
	api.challenge = plainChallenge{}
	return api.respond(w, r, err)
}
