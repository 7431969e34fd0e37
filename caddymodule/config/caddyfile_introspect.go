package config

import (
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// parseIntrospect parses one introspect block of the global authgate
// options:
//
//	introspect <name> {
//		url                <url>
//		mode               json | rfc7662
//		method             GET | POST
//		forward            cookie <name> | header <name> [<scheme>]
//		token_field        <member>
//		inactive_status    <code…>
//		from header        <name> [<scheme>]
//		from cookie        <name>
//		subject_path       <path>
//		subject_template   <template>
//		same_subjects      <verifier…>
//		claims_path        <path>
//		expires_path       <path>
//		iat_path           <path>
//		client_id          <id>
//		client_secret      <secret>
//		allow_bound_tokens
//		cache_ttl          <duration>
//		negative_cache_ttl <duration>
//		timeout            <duration>
//		max_body_size      <bytes>
//		max_concurrent     <n>
//		rate_limit         <calls per second>
//		cache_size         <bytes>
//		token_pattern      <regexp>
//		min_token_length   <bytes>
//		max_token_length   <bytes>
//		client_rate_limit  <calls per second> | off
//		client_burst       <calls>
//	}
//
// A jwt block names it with `recheck <name>` (and `recheck_expired`) to
// confirm tokens older than its max_age remotely.
func (a *App) parseIntrospect(d *caddyfile.Dispenser) error {
	ic := &IntrospectConfig{}
	pos := position(d)
	if !d.NextArg() {
		return d.ArgErr()
	}
	ic.Name = d.Val()
	if d.NextArg() {
		return d.ArgErr()
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		if err := ic.unmarshalSubdirective(d); err != nil {
			return err
		}
	}
	if e := ic.check(); e != nil {
		return errAt(pos, "%s", e.caddyfile("introspect", ic.Name))
	}
	a.Introspect = append(a.Introspect, ic)
	return nil
}

func (ic *IntrospectConfig) unmarshalSubdirective(d *caddyfile.Dispenser) error {
	switch d.Val() {
	case "url":
		return singleArg(d, &ic.URL)
	case "mode":
		return enumArg(d, &ic.Mode, "json", "rfc7662")
	case "method":
		return enumArg(d, &ic.Method, "GET", "POST")
	case "forward":
		return ic.parseForward(d)
	case "inactive_status":
		return statusArgs(d, &ic.InactiveStatus)
	case "token_field":
		return singleArg(d, &ic.TokenField)
	case "subject_path":
		return singleArg(d, &ic.SubjectPath)
	case "subject_template":
		return singleArg(d, &ic.SubjectTemplate)
	case "same_subjects":
		return appendArgs(d, &ic.SameSubjects)
	case "claims_path":
		return singleArg(d, &ic.ClaimsPath)
	case "expires_path":
		return singleArg(d, &ic.ExpiresPath)
	case "iat_path":
		return singleArg(d, &ic.IssuedAtPath)
	case "client_id":
		return singleArg(d, &ic.ClientID)
	case "client_secret":
		return singleArg(d, &ic.ClientSecret)
	case "allow_bound_tokens":
		return flag(d, &ic.AllowBoundTokens)
	case "cache_ttl":
		return optionalDurationArg(d, &ic.CacheTTL)
	case "negative_cache_ttl":
		return optionalDurationArg(d, &ic.NegativeCacheTTL)
	case "timeout":
		return durationArg(d, &ic.Timeout)
	case "max_body_size":
		return sizeArg(d, &ic.MaxBodyBytes)
	case "cache_size":
		return sizeArg(d, &ic.CacheBytes)
	case "max_concurrent":
		return intArg(d, &ic.MaxConcurrent)
	case "token_pattern":
		return singleArg(d, &ic.TokenPattern)
	case "min_token_length":
		return intArg(d, &ic.MinTokenBytes)
	case "max_token_length":
		return intArg(d, &ic.MaxTokenBytes)
	case "client_rate_limit":
		return ic.parseClientRate(d)
	case "client_burst":
		return intArg(d, &ic.ClientBurst)
	case "rate_limit":
		return intArg(d, &ic.RateLimit)
	case "from":
		sc, err := parseFrom(d)
		if err != nil {
			return err
		}
		ic.From = append(ic.From, sc)
		return nil
	}
	return d.Errf("unrecognized introspect option %q", d.Val())
}

// parseForward parses `forward cookie <name>` or `forward header <name>
// [<scheme>]`.
func (ic *IntrospectConfig) parseForward(d *caddyfile.Dispenser) error {
	if ic.Forward != nil {
		return d.Err("forward given twice")
	}
	args := d.RemainingArgs()
	switch {
	case len(args) == 2 && args[0] == "cookie":
		ic.Forward = &SourceConfig{Cookie: args[1]}
	case len(args) == 2 && args[0] == "header":
		ic.Forward = &SourceConfig{Header: args[1]}
	case len(args) == 3 && args[0] == "header":
		ic.Forward = &SourceConfig{Header: args[1], Scheme: args[2]}
	default:
		return d.Err("expected: forward cookie <name> | forward header <name> [<scheme>]")
	}
	return nil
}

// enumArg reads one argument that must be one of allowed.
func enumArg(d *caddyfile.Dispenser, dst *string, allowed ...string) error {
	name := d.Val()
	if err := singleArg(d, dst); err != nil {
		return err
	}
	for _, a := range allowed {
		if *dst == a {
			return nil
		}
	}
	return d.Errf("%s must be one of %v, got %q", name, allowed, *dst)
}

// optionalDurationArg reads a duration for a setting where 0 is a value
// of its own ("never cache") and absence means the default.
func optionalDurationArg(d *caddyfile.Dispenser, dst **caddy.Duration) error {
	name := d.Val()
	if *dst != nil {
		return d.Errf("%s given twice", name)
	}
	var dur caddy.Duration
	if err := durationArg(d, &dur); err != nil {
		return err
	}
	*dst = &dur
	return nil
}

// statusArgs reads one or more HTTP status codes.
func statusArgs(d *caddyfile.Dispenser, dst *[]int) error {
	args := d.RemainingArgs()
	if len(args) == 0 {
		return d.ArgErr()
	}
	for _, a := range args {
		n, err := strconv.Atoi(a)
		if err != nil || n < 100 || n > 599 {
			return d.Errf("bad HTTP status %q", a)
		}
		*dst = append(*dst, n)
	}
	return nil
}

// parseClientRate parses `client_rate_limit <calls per second> | off`.
func (ic *IntrospectConfig) parseClientRate(d *caddyfile.Dispenser) error {
	args := d.RemainingArgs()
	if len(args) != 1 {
		return d.ArgErr()
	}
	if args[0] == "off" {
		ic.ClientRateLimit = -1
		return nil
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n <= 0 {
		return d.Errf("client_rate_limit: expected a positive integer or off, got %q", args[0])
	}
	ic.ClientRateLimit = n
	return nil
}
