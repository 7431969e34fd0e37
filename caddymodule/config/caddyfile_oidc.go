package config

import (
	"strings"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// parseOIDC parses an oidc block of the global authgate options:
//
//	oidc <name> {
//		issuer        <url>
//		client_id     <id>
//		client_secret <secret>        ({env.*} and {file.*} work)
//		scopes        <scope…>        (default openid email profile)
//		callback_url  <url…>          (required; repeatable, one per site host)
//		claims        <claim…>        (default: all but protocol claims)
//		userinfo      [on|off]
//		subject_template <template>   (default {sub})
//		same_subjects <verifier…>
//		login_timeout <duration>      (default 10m)
//		timeout       <duration>      (default 10s)
//		login_limit   <n> <window>    (default 30 1m: login starts per client)
//		failure_limit <n> <window>    (default 5 1m: failed callbacks per client)
//	}
func (a *App) parseOIDC(d *caddyfile.Dispenser) error {
	oc := &OIDCConfig{}
	pos := position(d)
	if err := singleArg(d, &oc.Name); err != nil {
		return err
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		if err := oc.unmarshalSubdirective(d); err != nil {
			return err
		}
	}
	if missing, _ := oc.missing(); len(missing) > 0 {
		return errAt(pos, "oidc %s: issuer, client_id and callback_url are required; missing: %s", oc.Name, strings.Join(missing, ", "))
	}
	a.OIDC = append(a.OIDC, oc)
	return nil
}

func (oc *OIDCConfig) unmarshalSubdirective(d *caddyfile.Dispenser) error {
	switch d.Val() {
	case "issuer":
		return singleArg(d, &oc.Issuer)
	case "client_id":
		return singleArg(d, &oc.ClientID)
	case "client_secret":
		return singleArg(d, &oc.ClientSecret)
	case "callback_url":
		return appendArgs(d, &oc.CallbackURLs)
	case "callback_path":
		return d.Err("callback_path was replaced by callback_url: give the absolute redirect URI registered at the provider, such as callback_url https://app.example.com/.authgate/callback")
	case "subject_template":
		return singleArg(d, &oc.SubjectTemplate)
	case "same_subjects":
		return appendArgs(d, &oc.SameSubjects)
	case "scopes":
		return appendArgs(d, &oc.Scopes)
	case "claims":
		return appendArgs(d, &oc.Claims)
	case "userinfo":
		args := d.RemainingArgs()
		if len(args) > 1 || len(args) == 1 && args[0] != "on" && args[0] != "off" {
			return d.Err("expected: userinfo [on|off]")
		}
		oc.Userinfo = len(args) == 0 || args[0] == "on"
	case "login_timeout":
		return durationArg(d, &oc.LoginTimeout)
	case "timeout":
		return durationArg(d, &oc.Timeout)
	case "login_limit":
		return parseRateLimit(d, &oc.LoginLimit)
	case "failure_limit":
		return parseRateLimit(d, &oc.FailureLimit)
	default:
		return d.Errf("unrecognized oidc option %q", d.Val())
	}
	return nil
}
