package caddymodule

import (
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// IntrospectConfig declares a remote session check (issue: remote session
// checks). Placeholder until introspection lands.
type IntrospectConfig struct {
	// Name identifies the introspection verifier.
	Name string `json:"name,omitempty"`
}

// provisionIntrospection builds introspection verifiers (a.addVerifier).
func (a *App) provisionIntrospection(caddy.Context) error { return nil }

// parseIntrospect parses `introspect NAME { … }`.
func (a *App) parseIntrospect(d *caddyfile.Dispenser) error {
	return d.Err("introspect is not implemented yet")
}
