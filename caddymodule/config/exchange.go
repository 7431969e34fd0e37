package config

import (
	"fmt"
	"slices"
)

// CheckExchange refuses a session exchange list that names an introspect
// block without iat_path: an introspection answer is as fresh as the call,
// so without the token's own issue time exchange_max_age could not apply,
// and an opaque token stolen long ago could still be exchanged. For a
// Caddyfile the error names the exchange line and the block.
func (a *App) CheckExchange() error {
	if a.Session == nil {
		return nil
	}
	for _, name := range a.Session.Exchange {
		for _, ic := range a.Introspect {
			if ic.Name != name || ic.IssuedAtPath != "" {
				continue
			}
			msg := fmt.Sprintf("session exchange: introspect %s has no iat_path, so exchange_max_age cannot apply to its tokens: "+
				"add `iat_path <path>` (where its answer holds the token's issue time) to the block", name)
			if pos := a.positions["exchange "+name]; pos != "" {
				return errAt(pos, "%s (introspect %s is at %s)", msg, name, a.positions["introspect "+name])
			}
			return fmt.Errorf("%s", msg)
		}
	}
	return nil
}

// noteExchange records where the session block names a verifier in
// `exchange`.
func (a *App) noteExchange(pos string, names []string) {
	if a.positions == nil {
		a.positions = map[string]string{}
	}
	for _, n := range names {
		if _, seen := a.positions["exchange "+n]; !seen {
			a.positions["exchange "+n] = pos
		}
	}
}

// Exchanges reports whether the session block's exchange list names the
// verifier name.
func (a *App) Exchanges(name string) bool {
	return a.Session != nil && slices.Contains(a.Session.Exchange, name)
}
