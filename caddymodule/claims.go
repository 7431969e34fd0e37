package caddymodule

import (
	"expvar"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/authgate/authgate/claimsource"
)

// claimClient sends every claim-source request of the process: one
// keep-alive pool shared by every source and every config reload.
var claimClient = sync.OnceValue(claimsource.NewClient)

// ClaimConfig declares a claim source: where the current
// value of a claim is fetched when a validator finds it missing or older
// than its max age. Fetched values are cached per (verifier, subject,
// claim) and replace the credential's value in policy, forwarded headers
// and placeholders.
type ClaimConfig struct {
	// Name is the top-level claim the source refreshes. Validators on it,
	// or on paths inside it, use the source. It cannot be a registered JWT
	// claim (sub, iss, aud, exp, nbf, iat, jti). Required.
	Name string `json:"name,omitempty"`

	// Fetch is the URL template to GET, http or https. Request-time
	// placeholders {sub}, {session.id} and {claims.PATH} may appear in the
	// path and query only; each value is escaped for its position, and a
	// value that would make an empty, "." or ".." segment fails the
	// request (503) without a call. Redirects are not followed. Caddy
	// placeholders such as {env.*} are expanded once at provision time.
	// Required.
	Fetch string `json:"fetch,omitempty"`

	// Path is where the value sits in the JSON answer (a claim path, such
	// as "roles" or "user.roles"). A 2xx answer without a value there is
	// a failure. Default: the whole body is the value.
	Path string `json:"path,omitempty"`

	// MaxAge is the default freshness for validators on this claim that
	// set no max_age of their own, and how long fetched values are cached.
	// 0 means every request. Default: 5m.
	MaxAge *caddy.Duration `json:"max_age,omitempty"`

	// Timeout bounds one fetch, including the wait for a free fetch slot
	// and a slowly sent body. Default: 2s.
	Timeout caddy.Duration `json:"timeout,omitempty"`

	// StaleIfError is a grace after max age: while the source fails, a
	// value younger than max age plus this grace (cached, or the
	// credential's own) is used. Without one, the request fails closed
	// with 503. Default: 0 (no grace).
	StaleIfError caddy.Duration `json:"stale_if_error,omitempty"`

	// Headers are sent with every fetch, for example an API key. Values
	// accept {env.*} and {file.*}, expanded at provision time. Accept
	// defaults to application/json.
	Headers http.Header `json:"headers,omitempty"`

	// MaxBodyBytes caps the answer's body, in bytes; a longer body is a
	// failure. Default: 1048576 (1 MiB).
	MaxBodyBytes int64 `json:"max_body_size,omitempty"`
}

// provisionClaims builds the claim refresher into a.refresher. It runs
// after provisionSessions, so refreshed values of edge sessions are
// written back through a.claimWriter.
func (a *App) provisionClaims(caddy.Context) error {
	if len(a.Claims) == 0 {
		return nil
	}
	repl := caddy.NewReplacer()
	list := make([]claimsource.Claim, 0, len(a.Claims))
	for _, cc := range a.Claims {
		if cc == nil {
			return fmt.Errorf("claim source without a name")
		}
		c, err := claimsource.NewHTTPClaim(cc.httpClaim(repl, a.MaxClaims, a.MaxClaimDepth))
		if err != nil {
			return fmt.Errorf("claim %q: %w", cc.Name, err)
		}
		list = append(list, c)
	}
	r, err := claimsource.New(claimsource.Config{Claims: list, Writer: a.claimWriter, Counters: claimCounters()})
	if err != nil {
		return err
	}
	a.refresher = r
	a.cleanups = append(a.cleanups, func() error { r.Close(); return nil })
	return nil
}

// httpClaim is cc with Caddy placeholders ({env.*}, {file.*}) in its URL
// and header values expanded, and its defaults applied.
func (cc *ClaimConfig) httpClaim(repl *caddy.Replacer, maxValues, maxDepth int) claimsource.HTTPClaim {
	header := make(http.Header, len(cc.Headers))
	for name, values := range cc.Headers {
		for _, v := range values {
			header[name] = append(header[name], repl.ReplaceKnown(v, ""))
		}
	}
	maxAge := claimsource.DefaultMaxAge
	if cc.MaxAge != nil {
		maxAge = time.Duration(*cc.MaxAge)
	}
	return claimsource.HTTPClaim{
		Name: cc.Name, URL: repl.ReplaceKnown(cc.Fetch, ""), Path: cc.Path, Header: header,
		MaxAge: maxAge, Timeout: max(time.Duration(cc.Timeout), 0), StaleIfError: time.Duration(cc.StaleIfError),
		MaxBodyBytes: cc.MaxBodyBytes, MaxValues: maxValues, MaxDepth: maxDepth, Client: claimClient(),
	}
}

// fetchableClaim reports whether the claim name (a top-level claim, or a
// path inside one) is subject-scoped: backed by a claim source. Edge
// sessions refuse admin writes to such claims with 409, since the next
// refresh would overwrite them.
func (a *App) fetchableClaim(name string) bool {
	for _, c := range a.Claims {
		if c != nil && (name == c.Name || strings.HasPrefix(name, c.Name+".")) {
			return true
		}
	}
	return false
}

// claimCounters returns the process-wide counters of every claim
// refresher, published once as the expvar map "authgate_claims" (served by
// Caddy's admin endpoint at /debug/vars). Config reloads and tests build
// new refreshers that keep counting into the same map, since expvar
// panics on a second Publish of one name.
var claimCounters = sync.OnceValue(func() claimsource.Counters {
	m, ok := expvar.Get("authgate_claims").(*expvar.Map)
	if !ok {
		m = new(expvar.Map)
		if expvar.Get("authgate_claims") == nil {
			expvar.Publish("authgate_claims", m)
		}
	}
	counter := func(name string) *expvar.Int {
		if v, ok := m.Get(name).(*expvar.Int); ok {
			return v
		}
		v := new(expvar.Int)
		m.Set(name, v)
		return v
	}
	return claimsource.Counters{
		Fetches:     counter("fetches"),
		CacheHits:   counter("cache_hits"),
		Errors:      counter("errors"),
		StaleServes: counter("stale_serves"),
		WriteErrors: counter("write_errors"),
	}
})

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
		var n int
		if err := intArg(d, &n); err != nil {
			return err
		}
		cc.MaxBodyBytes = int64(n)
		return nil
	}
	return d.Errf("unrecognized claim option %q", d.Val())
}
