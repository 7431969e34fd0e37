package config

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// parseJWTBlock parses `jwt <name> { … }` (syntax in App.UnmarshalCaddyfile).
func parseJWTBlock(d *caddyfile.Dispenser) (*JWTConfig, error) {
	jc := &JWTConfig{}
	pos := position(d)
	if !d.NextArg() {
		return nil, d.ArgErr()
	}
	jc.Name = d.Val()
	if d.NextArg() {
		return nil, d.ArgErr()
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		if err := jc.unmarshalSubdirective(d); err != nil {
			return nil, err
		}
	}
	return jc, jc.checkComplete(pos)
}

// checkComplete refuses a jwt block that lacks what every verifier needs,
// naming what is missing and where the block starts (CheckBlocks holds
// JSON configurations to the same rules).
func (jc *JWTConfig) checkComplete(pos string) error {
	if e := jc.check(); e != nil {
		return errAt(pos, "%s", e.caddyfile("jwt", jc.Name))
	}
	return nil
}

func (jc *JWTConfig) unmarshalSubdirective(d *caddyfile.Dispenser) error {
	switch d.Val() {
	case "issuer":
		return singleArg(d, &jc.Issuer)
	case "jwks_url":
		return singleArg(d, &jc.JWKSURL)
	case "secret_file":
		return singleArg(d, &jc.SecretFile)
	case "subject_template":
		return singleArg(d, &jc.SubjectTemplate)
	case "same_subjects":
		return appendArgs(d, &jc.SameSubjects)
	case "key_file":
		return appendArgs(d, &jc.KeyFiles)
	case "audience":
		return appendArgs(d, &jc.Audience)
	case "algorithms":
		return appendArgs(d, &jc.Algorithms)
	case "types":
		return appendArgs(d, &jc.Types)
	case "leeway":
		return durationArg(d, &jc.Leeway)
	case "max_age":
		return durationArg(d, &jc.MaxAge)
	case "recheck":
		jc.recheckAt = position(d)
		return singleArg(d, &jc.Recheck)
	case "recheck_expired":
		if d.NextArg() {
			return d.ArgErr()
		}
		jc.RecheckExpired = true
		return nil
	case "allow_bound_tokens":
		return flag(d, &jc.AllowBoundTokens)
	case "cache_ttl":
		return durationArg(d, &jc.CacheTTL)
	case "jwks_refresh_interval":
		return durationArg(d, &jc.JWKSRefreshInterval)
	case "jwks_timeout":
		return durationArg(d, &jc.JWKSTimeout)
	case "unknown_kid_burst":
		return intArg(d, &jc.UnknownKIDBurst)
	case "unknown_kid_refill", "unknown_kid_cooldown":
		// unknown_kid_cooldown is the deprecated name of the refill
		// interval: the single cooldown became a token bucket.
		return durationArg(d, &jc.UnknownKIDRefill)
	case "from":
		sc, err := parseFrom(d)
		if err != nil {
			return err
		}
		jc.From = append(jc.From, sc)
		return nil
	}
	return d.Errf("unrecognized jwt option %q", d.Val())
}

// parseFrom parses `from header <name> [<scheme>]` or `from cookie <name>`.
func parseFrom(d *caddyfile.Dispenser) (SourceConfig, error) {
	args := d.RemainingArgs()
	switch {
	case len(args) == 2 && args[0] == "cookie":
		return SourceConfig{Cookie: args[1]}, nil
	case len(args) == 2 && args[0] == "header":
		return SourceConfig{Header: args[1]}, nil
	case len(args) == 3 && args[0] == "header":
		return SourceConfig{Header: args[1], Scheme: args[2]}, nil
	}
	return SourceConfig{}, d.Err("expected: from header <name> [<scheme>] | from cookie <name>")
}
