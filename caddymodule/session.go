package caddymodule

import (
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// SessionConfig configures edge sessions (issue: edge sessions).
// Placeholder until edge sessions land.
type SessionConfig struct{}

// provisionSessions builds the session store and verifier, registers the
// session endpoints, and sets a.denyList and a.claimWriter.
func (a *App) provisionSessions(caddy.Context) error { return nil }

// parseSession parses `session { … }`.
func (a *App) parseSession(d *caddyfile.Dispenser) error {
	return d.Err("session is not implemented yet")
}
