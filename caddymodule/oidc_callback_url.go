package caddymodule

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// Reasons of refused callback URLs.
const (
	// reasonUnknownHost: a login on a host that has no callback_url. The
	// redirect URI handed to the provider comes from configuration only:
	// built from the Host header, a request for evil.example would send
	// the user's code to evil.example at a provider that does not match
	// redirect URIs exactly.
	reasonUnknownHost = "unknown_host"
	// reasonOriginMismatch: a callback that arrives on another origin
	// than the one its login sent to the provider.
	reasonOriginMismatch = "origin_mismatch"
)

// parseCallbackURLs checks an oidc block's callback_url entries and
// returns them by lowercased host. Each is an absolute http(s) URL with a
// path and without userinfo, query or fragment; a host appears once.
func parseCallbackURLs(oc *OIDCConfig, repl *caddy.Replacer) (map[string]*url.URL, error) {
	if len(oc.CallbackURLs) == 0 {
		return nil, fmt.Errorf("oidc %s: callback_url is required: the absolute redirect URI registered at the provider, such as https://app.example.com/.authgate/callback (one per site host)", oc.Name)
	}
	out := make(map[string]*url.URL, len(oc.CallbackURLs))
	for _, raw := range oc.CallbackURLs {
		u, err := url.Parse(repl.ReplaceKnown(raw, ""))
		if err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || u.User != nil ||
			u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || !strings.HasPrefix(u.Path, "/") {
			return nil, fmt.Errorf("oidc %s: callback_url %q must be an absolute http(s) URL with a path and no userinfo, query or fragment", oc.Name, raw)
		}
		host := strings.ToLower(u.Host)
		if _, dup := out[host]; dup {
			return nil, fmt.Errorf("oidc %s: two callback_url entries for host %s", oc.Name, host)
		}
		out[host] = u
	}
	return out, nil
}

// registerCallbacks serves p's callback on each of its callback URLs'
// paths. A path belongs to one provider: the callback endpoint is chosen
// by path alone.
func (a *App) registerCallbacks(p *oidcProvider) error {
	mine := map[string]bool{}
	for _, u := range p.callbackURLs {
		if _, taken := a.callbacks[u.Path]; taken && !mine[u.Path] {
			return fmt.Errorf("oidc %s: callback_url path %s is used by another oidc block", p.cfg.Name, u.Path)
		}
		mine[u.Path] = true
		a.callbacks[u.Path] = p.serveCallback
	}
	return nil
}

// callbackFor returns the callback URL configured for r's Host, compared
// exactly (case aside, port included), or "" when there is none.
func (p *oidcProvider) callbackFor(r *http.Request) string {
	if u, ok := p.callbackURLs[strings.ToLower(r.Host)]; ok {
		return u.String()
	}
	return ""
}

// atRecordedCallback reports whether the callback request r arrived on
// the scheme, host and path of the callback URL its login recorded.
func atRecordedCallback(r *http.Request, recorded string) bool {
	u, err := url.Parse(recorded)
	return err == nil && u.Scheme == requestScheme(r) &&
		strings.EqualFold(u.Host, r.Host) && u.Path == originalURL(r).Path
}

// requestScheme is the scheme the client used: https when Caddy
// terminated TLS, or when a proxy in Caddy's trusted_proxies says so in
// X-Forwarded-Proto; otherwise http. An untrusted client's forwarded
// headers count for nothing.
func requestScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	if trusted, _ := caddyhttp.GetVar(r.Context(), caddyhttp.TrustedProxyVarKey).(bool); trusted &&
		strings.EqualFold(strings.TrimSpace(strings.Split(r.Header.Get("X-Forwarded-Proto"), ",")[0]), "https") {
		return "https"
	}
	return "http"
}
