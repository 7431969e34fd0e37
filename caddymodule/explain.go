package caddymodule

import (
	"net/http"

	"github.com/authgate/authgate/explain"
	"github.com/authgate/authgate/verifier"
)

// ExplainRoute hands the handler's parts to `caddy authgate explain`
// (package explain), which traces decisions without side effects.
func (h *Handler) ExplainRoute() *explain.Route {
	rt := &explain.Route{Sources: h.routes, Policy: h.policy, Headers: h.deps.headers, AssertionAudience: h.assertAud,
		Optional: h.Optional, AllowPreflight: h.AllowPreflight, MaxTokenBytes: h.deps.maxTokenBytes, LoginOIDC: h.LoginOIDC,
		RejectedPath: h.rejectedPath, Ambiguous: h.ambiguous, Endpoint: func(r *http.Request) bool { _, ok := h.endpointFor(r); return ok },
		Challenged: func(r *http.Request, err error) bool {
			return loginReasons[verifier.ReasonOf(err)] && isBrowserNavigation(r)
		},
		Refuse: func(w http.ResponseWriter, r *http.Request, err error) error { return h.refuse(w, r, nil, err) },
		RefuseScript: func(w http.ResponseWriter, r *http.Request, err error) error {
			return checkRoute{endpointRoute{h}}.Respond(w, r, err)
		}}
	if eps := h.deps.endpoints; !h.DisableEndpoints && eps.check != nil && eps.byName["check"] != nil {
		rt.Check, rt.CheckPath = eps.check, eps.prefix+"check"
	}
	rt.IsCheck = func(r *http.Request) bool { return rt.Check != nil && originalURL(r).Path == rt.CheckPath }
	return rt
}
