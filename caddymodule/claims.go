package caddymodule

import (
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// ClaimConfig declares a claim source (issue: claim refresh). Placeholder
// until claim refresh lands.
type ClaimConfig struct {
	// Name is the top-level claim the source refreshes.
	Name string `json:"name,omitempty"`
}

// provisionClaims builds the claim refresher into a.refresher.
func (a *App) provisionClaims(caddy.Context) error { return nil }

// parseClaim parses `claim NAME { … }`.
func (a *App) parseClaim(d *caddyfile.Dispenser) error {
	return d.Err("claim sources are not implemented yet")
}
