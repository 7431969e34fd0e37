package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/authgate/authgate/forward"
)

// UnmarshalCaddyfile sets up the app from the global `authgate` block:
//
//	authgate {
//		dev
//		jwt <name> {
//			issuer       <iss>
//			audience     <aud…> | any
//			jwks_url     <url> | key_file <pem> | secret_file <file>
//			algorithms   <alg…>
//			types        <typ…>
//			leeway       <duration>
//			max_age      <duration>
//			from header  <name> [<scheme>]
//			from cookie  <name>
//			subject_template <template>
//			same_subjects <verifier…>
//			cache_ttl    <duration>
//			jwks_refresh_interval <duration>
//			jwks_timeout <duration>
//			unknown_kid_burst  <n>
//			unknown_kid_refill <duration>
//			unknown_kid_cooldown <duration>   (deprecated: unknown_kid_refill)
//			recheck <introspect name>
//			recheck_expired
//			allow_bound_tokens
//		}
//		introspect <name> { … }   (see caddyfile_introspect.go)
//		claim <name> { … }        (see caddyfile_claim.go)
//		session { … }             (see caddyfile_session.go)
//		oidc <name> { … }         (see caddyfile_oidc.go)
//		header <name> <template> [json]
//		header <name> assertion
//		assertion_key_file <pem>
//		assertion_issuer <iss>
//		assertion_ttl <duration>
//		role <name> <permission…>
//		roles_claim <path>
//		require <claim> <op> [values…] [max_age D] [id NAME]
//		check <name> { require … }  (see caddyfile_check.go)
//		check_limit <n> <window>    (default 120 1m)
//		max_token_size <bytes>      (sizes: 4096, 64KiB, 1MB)
//		max_claims <n>
//		max_claim_depth <n>
//		cache_size <bytes>
//		endpoint_prefix <path>      (default /.authgate/)
//		ready jwks|store|oidc…
//	}
func (a *App) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume option name
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		if err := a.unmarshalSubdirective(d); err != nil {
			return err
		}
	}
	return a.checkRechecks()
}

func (a *App) unmarshalSubdirective(d *caddyfile.Dispenser) error {
	pos := position(d)
	switch d.Val() {
	case "dev":
		if d.NextArg() {
			return d.ArgErr()
		}
		a.Dev = true
		return a.notePosition(pos, DevVerifierName, DevVerifierName)
	case "jwt":
		jc, err := parseJWTBlock(d)
		if err != nil {
			return err
		}
		a.JWT = append(a.JWT, jc)
		return a.notePosition(pos, "jwt", jc.Name)
	case "claim":
		return a.parseClaim(d)
	case "session":
		return a.parseSession(d)
	case "oidc":
		if err := a.parseOIDC(d); err != nil {
			return err
		}
		return a.notePosition(pos, "oidc", a.OIDC[len(a.OIDC)-1].Name)
	case "introspect":
		if err := a.parseIntrospect(d); err != nil {
			return err
		}
		return a.notePosition(pos, "introspect", a.Introspect[len(a.Introspect)-1].Name)
	case "header":
		hc, err := parseHeaderLine(d)
		if err != nil {
			return err
		}
		a.Headers = append(a.Headers, hc)
	case "role":
		return a.parseRole(d)
	case "roles_claim":
		return singleArg(d, &a.RolesClaim)
	case "endpoint_prefix":
		if err := singleArg(d, &a.EndpointPrefix); err != nil {
			return err
		}
		if !strings.HasPrefix(a.EndpointPrefix, "/") {
			return d.Errf("endpoint_prefix must start with /")
		}
	case "assertion_key_file":
		return singleArg(d, &a.AssertionKeyFile)
	case "assertion_issuer":
		return singleArg(d, &a.AssertionIssuer)
	case "assertion_ttl":
		return durationArg(d, &a.AssertionTTL)
	case "require":
		rc, err := parseRequire(d)
		if err != nil {
			return err
		}
		a.Require = append(a.Require, rc)
	case "check":
		return a.parseCheck(d)
	case "check_limit":
		return parseRateLimit(d, &a.CheckLimit)
	case "max_token_size":
		return intSizeArg(d, &a.MaxTokenBytes)
	case "max_claims":
		return intArg(d, &a.MaxClaims)
	case "max_claim_depth":
		return intArg(d, &a.MaxClaimDepth)
	case "ready":
		return a.parseReady(d)
	case "cache_size":
		return sizeArg(d, &a.CacheBytes)
	default:
		return d.Errf("unrecognized authgate option %q", d.Val())
	}
	return nil
}

func (a *App) parseRole(d *caddyfile.Dispenser) error {
	if !d.NextArg() {
		return d.ArgErr()
	}
	name := d.Val()
	if _, dup := a.Roles[name]; dup {
		return d.Errf("role %q defined twice", name)
	}
	perms := d.RemainingArgs()
	if len(perms) == 0 {
		return d.ArgErr()
	}
	if a.Roles == nil {
		a.Roles = map[string][]string{}
	}
	a.Roles[name] = perms
	return nil
}

// parseHeaderLine reads `header NAME TEMPLATE [json]`, refusing a template
// with an unknown placeholder (a misspelt {session.*} field, say) here
// rather than at provision.
func parseHeaderLine(d *caddyfile.Dispenser) (HeaderConfig, error) {
	args := d.RemainingArgs()
	if len(args) != 2 && (len(args) != 3 || args[2] != "json") {
		return HeaderConfig{}, d.ArgErr()
	}
	if err := forward.CheckTemplate(args[1]); err != nil {
		return HeaderConfig{}, d.Errf("header %s: %v", args[0], err)
	}
	return HeaderConfig{Name: args[0], Value: args[1], JSON: len(args) == 3}, nil
}

// position is the Dispenser's current file:line.
func position(d *caddyfile.Dispenser) string { return fmt.Sprintf("%s:%d", d.File(), d.Line()) }

// ReadyChecks are the readiness checks a `ready` line may name.
var ReadyChecks = []string{"jwks", "store", "oidc"}

func (a *App) parseReady(d *caddyfile.Dispenser) error {
	if len(a.Ready) > 0 {
		return d.Err("ready given twice")
	}
	args := d.RemainingArgs()
	if len(args) == 0 {
		return d.ArgErr()
	}
	for _, c := range args {
		if !slices.Contains(ReadyChecks, c) {
			return d.Errf("unknown readiness check %q: want %s", c, strings.Join(ReadyChecks, ", "))
		}
	}
	a.Ready = args
	return nil
}
