package caddymodule

import (
	"fmt"
	"slices"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

// routeVerifiers resolves the route's `verifiers` list into the verifiers
// it reads credentials with, and the origins of the edge sessions it
// accepts (nil: every session).
//
// A session counts as its origin's credential: a route naming verifiers
// accepts a session only if what created it is among them (the jwt verifier
// whose token was exchanged, the oidc block of a login, or "session" for
// sessions made through the admin API). An oidc block's name reads the
// session cookie for that login's sessions; `login oidc NAME` adds NAME,
// so a route never refuses the sessions its own login creates; `verifiers
// session` alone accepts every session. Without `verifiers` the route
// accepts every verifier and every session.
func (h *Handler) routeVerifiers(a *App) ([]string, map[string]bool, error) {
	if len(h.Verifiers) == 0 {
		return a.verifierNames(), nil, nil
	}
	everySession := !slices.ContainsFunc(h.Verifiers, func(n string) bool { return n != session.VerifierName })
	listed := h.Verifiers
	if h.LoginOIDC != "" {
		listed = append(slices.Clone(listed), h.LoginOIDC)
	}
	var names []string // in the order written: it orders the credential sources
	origins := map[string]bool{}
	for _, n := range listed {
		_, isVerifier := a.verifiers[n]
		isLogin := a.oidc.Get(n) != nil
		switch {
		case isVerifier && !slices.Contains(names, n):
			names = append(names, n)
		case isLogin && !slices.Contains(names, session.VerifierName):
			names = append(names, session.VerifierName)
		case isVerifier, isLogin:
			// already read
		default:
			return nil, nil, fmt.Errorf("unknown verifier %q: not a jwt, introspect or oidc block, dev or session", n)
		}
		origins[n] = true
	}
	if everySession {
		origins = nil
	}
	return names, origins, nil
}

// sessionVerifier is the app's edge-session verifier narrowed to the
// route's session origins.
func sessionVerifier(shared verifier.Verifier, origins map[string]bool) verifier.Verifier {
	sv, ok := shared.(*session.Verifier)
	if !ok || origins == nil {
		return shared
	}
	narrowed := *sv
	narrowed.Origins = origins
	return &narrowed
}
