package config

import "github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

// parseCheck parses a named check of the check endpoint
// (/.authgate/check?check=NAME):
//
//	check <name> {
//		require <claim> <op> [values…] [max_age D] [id NAME]
//		require permission <P>
//	}
//
// Its require lines are written as a route's; the global validators run
// before them.
func (a *App) parseCheck(d *caddyfile.Dispenser) error {
	if !d.NextArg() {
		return d.ArgErr()
	}
	name := d.Val()
	if d.NextArg() {
		return d.ArgErr()
	}
	if _, dup := a.Checks[name]; dup {
		return d.Errf("check %q declared twice", name)
	}
	var reqs []RequireConfig
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		if d.Val() != "require" {
			return d.Errf("check %q: unrecognized subdirective %q: want require", name, d.Val())
		}
		rc, err := parseRequire(d)
		if err != nil {
			return err
		}
		reqs = append(reqs, rc)
	}
	if len(reqs) == 0 {
		return d.Errf("check %q needs at least one require line", name)
	}
	if a.Checks == nil {
		a.Checks = map[string][]RequireConfig{}
	}
	a.Checks[name] = reqs
	return nil
}
