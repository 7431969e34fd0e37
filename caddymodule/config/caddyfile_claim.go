package config

import (
	"net/http"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// parseClaim parses a claim source block:
//
//	claim <name> {
//		fetch          <url template>
//		path           <json path>
//		max_age        <duration>
//		timeout        <duration>
//		stale_if_error <duration>
//		header         <name> <value>
//		max_body_size  <bytes>
//	}
func (a *App) parseClaim(d *caddyfile.Dispenser) error {
	if !d.NextArg() {
		return d.ArgErr()
	}
	cc := &ClaimConfig{Name: d.Val()}
	if d.NextArg() {
		return d.ArgErr()
	}
	for _, c := range a.Claims {
		if c.Name == cc.Name {
			return d.Errf("claim %q declared twice", cc.Name)
		}
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		if err := cc.unmarshalSubdirective(d); err != nil {
			return err
		}
	}
	if cc.Fetch == "" {
		return d.Errf("claim %q: fetch is required", cc.Name)
	}
	a.Claims = append(a.Claims, cc)
	return nil
}

func (cc *ClaimConfig) unmarshalSubdirective(d *caddyfile.Dispenser) error {
	switch d.Val() {
	case "fetch":
		return singleArg(d, &cc.Fetch)
	case "path":
		return singleArg(d, &cc.Path)
	case "max_age":
		if cc.MaxAge != nil {
			return d.Err("max_age given twice")
		}
		cc.MaxAge = new(caddy.Duration)
		return durationArg(d, cc.MaxAge)
	case "timeout":
		return durationArg(d, &cc.Timeout)
	case "stale_if_error":
		return durationArg(d, &cc.StaleIfError)
	case "header":
		args := d.RemainingArgs()
		if len(args) != 2 {
			return d.ArgErr()
		}
		if cc.Headers == nil {
			cc.Headers = http.Header{}
		}
		cc.Headers.Add(args[0], args[1])
		return nil
	case "max_body_size":
		return sizeArg(d, &cc.MaxBodyBytes)
	}
	return d.Errf("unrecognized claim option %q", d.Val())
}
