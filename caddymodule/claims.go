package caddymodule

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/claimsource"
)

// claimClient sends every claim-source request of the process: one
// keep-alive pool shared by every source and every config reload.
var claimClient = sync.OnceValue(claimsource.NewClient)

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
		c, err := claimsource.NewHTTPClaim(httpClaim(cc, repl, a.MaxClaims, a.MaxClaimDepth))
		if err != nil {
			return fmt.Errorf("claim %q: %w", cc.Name, err)
		}
		list = append(list, c)
	}
	r, err := claimsource.New(claimsource.Config{Claims: list, Writer: a.claimWriter, Observer: a.claimObserver()})
	if err != nil {
		return err
	}
	a.refresher = r
	a.cleanups = append(a.cleanups, func() error { r.Close(); return nil })
	return nil
}

// httpClaim is cc with Caddy placeholders ({env.*}, {file.*}) in its URL
// and header values expanded, and its defaults applied.
func httpClaim(cc *config.ClaimConfig, repl *caddy.Replacer, maxValues, maxDepth int) claimsource.HTTPClaim {
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
