package config

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens:
//
//	authgate [<matcher>] {
//		require <claim> <op> [values…] [max_age D] [id NAME]
//		require permission <P>
//		skip_global <id…>
//		on_failure <id> redirect <path>
//		on_failure <id> pass
//		login_url <url>
//		login oidc <name>
//		login_param <name>
//		verifiers <name…>          (jwt, introspect or oidc blocks, dev, session)
//		redirect_allow <origin…>
//		assertion_audience <aud>
//		optional
//		allow_preflight
//		strip_credentials
//		endpoints on|off
//		reject_paths <rule…>   (encoded_nul encoded_slash encoded_backslash
//		                        backslash trailing_dot_space semicolon)
//	}
//
// With no block the handler accepts every verifier of the app and runs the
// global validators.
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		if err := h.unmarshalSubdirective(d); err != nil {
			return err
		}
	}
	return nil
}

func (h *Handler) unmarshalSubdirective(d *caddyfile.Dispenser) error {
	switch d.Val() {
	case "require":
		rc, err := parseRequire(d)
		if err != nil {
			return err
		}
		h.Require = append(h.Require, rc)
	case "skip_global":
		return appendArgs(d, &h.SkipGlobal)
	case "verifiers":
		return appendArgs(d, &h.Verifiers)
	case "redirect_allow":
		return appendArgs(d, &h.RedirectAllow)
	case "reject_paths":
		return appendArgs(d, &h.RejectPaths)
	case "on_failure":
		return h.parseOnFailure(d)
	case "endpoints":
		args := d.RemainingArgs()
		if len(args) != 1 || (args[0] != "on" && args[0] != "off") {
			return d.Err("expected: endpoints on|off")
		}
		h.DisableEndpoints = args[0] == "off"
	case "login_url":
		return singleArg(d, &h.LoginURL)
	case "login":
		args := d.RemainingArgs()
		if len(args) != 2 || args[0] != "oidc" {
			return d.Err("expected: login oidc <name>")
		}
		h.LoginOIDC = args[1]
	case "login_param":
		return singleArg(d, &h.LoginParam)
	case "assertion_audience":
		return singleArg(d, &h.AssertionAudience)
	case "optional":
		return flag(d, &h.Optional)
	case "allow_preflight":
		return flag(d, &h.AllowPreflight)
	case "strip_credentials":
		return flag(d, &h.StripCredentials)
	default:
		return d.Errf("unrecognized authgate subdirective %q", d.Val())
	}
	return nil
}

// Interface guards
var (
	_ caddyfile.Unmarshaler = (*Handler)(nil)
	_ caddyfile.Unmarshaler = (*App)(nil)
)
