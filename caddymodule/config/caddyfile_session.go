package config

import (
	"strconv"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// parseSession parses the session block of the global authgate options:
//
//	session {
//		store bolt [<path>] | store redis [<url>] [{ … }] (see parseRedisBlock)
//		cookie <name>
//		insecure_cookie
//		idle_timeout <duration>
//		lifetime <duration>
//		exchange <verifier…>
//		exchange_max_age <duration>
//		max_sessions_per_user <n>
//		bind_host
//		bind_to_token
//		bearer on|off
//	}
func (a *App) parseSession(d *caddyfile.Dispenser) error {
	if a.Session != nil {
		return d.Err("session block given twice")
	}
	if d.NextArg() {
		return d.ArgErr()
	}
	sc := &SessionConfig{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		pos, before := position(d), len(sc.Exchange)
		if err := sc.unmarshalSubdirective(d); err != nil {
			return err
		}
		a.noteExchange(pos, sc.Exchange[before:])
	}
	a.Session = sc
	return nil
}

func (sc *SessionConfig) unmarshalSubdirective(d *caddyfile.Dispenser) error {
	switch d.Val() {
	case "store":
		return sc.parseStore(d)
	case "cookie":
		return singleArg(d, &sc.Cookie)
	case "insecure_cookie":
		return flag(d, &sc.InsecureCookie)
	case "bind_host":
		return flag(d, &sc.BindHost)
	case "bind_to_token":
		return flag(d, &sc.BindToToken)
	case "bearer":
		return onOff(d, &sc.Bearer)
	case "idle_timeout":
		return durationArg(d, &sc.IdleTimeout)
	case "lifetime":
		return durationArg(d, &sc.Lifetime)
	case "exchange_max_age":
		return durationArg(d, &sc.ExchangeMaxAge)
	case "exchange":
		names := d.RemainingArgs()
		if len(names) == 0 {
			return d.ArgErr()
		}
		sc.Exchange = append(sc.Exchange, names...)
	case "max_sessions_per_user":
		return intArg(d, &sc.MaxSessionsPerUser)
	default:
		return d.Errf("unrecognized session option %q", d.Val())
	}
	return nil
}

func (sc *SessionConfig) parseStore(d *caddyfile.Dispenser) error {
	if sc.Store != nil {
		return d.Err("store given twice")
	}
	args := d.RemainingArgs()
	switch {
	case len(args) == 0:
		return d.ArgErr()
	case len(args) == 1 && args[0] == "bolt":
		sc.Store = &SessionStoreConfig{Type: "bolt"}
	case len(args) == 2 && args[0] == "bolt":
		sc.Store = &SessionStoreConfig{Type: "bolt", Path: args[1]}
	case len(args) <= 2 && args[0] == "redis":
		sc.Store = &SessionStoreConfig{Type: "redis"}
		if len(args) == 2 {
			sc.Store.URL = args[1]
		}
		return sc.Store.parseRedisBlock(d)
	case len(args) > 0 && args[0] != "bolt" && args[0] != "redis":
		return d.Errf("unknown session store %s: want bolt or redis", strconv.Quote(args[0]))
	default:
		return d.ArgErr()
	}
	return nil
}
