package caddymodule

import (
	"strings"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/caddymodule/build"
	"github.com/authgate/authgate/claimsource"
)

// provisionClaims builds the claim refresher into a.refresher. It runs
// after provisionSessions, so refreshed values of edge sessions are
// written back through a.claimWriter.
func (a *App) provisionClaims(caddy.Context) error {
	if len(a.Claims) == 0 {
		return nil
	}
	list, err := build.Claims(&a.App)
	if err != nil {
		return err
	}
	r, err := claimsource.New(claimsource.Config{Claims: list, Writer: a.claimWriter, Observer: a.claimObserver()})
	if err != nil {
		return err
	}
	a.refresher = r
	a.cleanups = append(a.cleanups, func() error { r.Close(); return nil })
	return nil
}

// fetchableClaim reports whether the claim name (a top-level claim, or a
// path inside one) is subject-scoped: backed by a claim source. Edge
// sessions refuse admin writes to such claims with 409, since the next
// refresh would overwrite them.
func (a *App) fetchableClaim(name string) bool {
	for _, c := range a.Claims {
		if c != nil && (name == c.Name || strings.HasPrefix(name, c.Name+".")) {
			return true
		}
	}
	return false
}
