package build

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/claimsource"
)

// claimClient sends every claim-source request of the process: one
// keep-alive pool shared by every source and every config reload.
var claimClient = sync.OnceValue(claimsource.NewClient)

// Claims builds the claim sources of the claim blocks, with the app's
// limits on claims.
func Claims(app *config.App) ([]claimsource.Claim, error) {
	repl := caddy.NewReplacer()
	list := make([]claimsource.Claim, 0, len(app.Claims))
	for _, cc := range app.Claims {
		if cc == nil {
			return nil, fmt.Errorf("claim source without a name")
		}
		c, err := claimsource.NewHTTPClaim(httpClaim(cc, repl, app.MaxClaims, app.MaxClaimDepth))
		if err != nil {
			return nil, fmt.Errorf("claim %q: %w", cc.Name, err)
		}
		list = append(list, c)
	}
	return list, nil
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
