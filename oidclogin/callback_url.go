package oidclogin

import (
	"net/http"
	"net/url"
	"strings"
)

// Reasons of refused callback URLs.
const (
	// reasonUnknownHost: a login on a host that has no callback_url. The
	// redirect URI handed to the provider comes from configuration only:
	// built from the Host header, a request for evil.example would send
	// the user's code to evil.example at a provider that does not match
	// redirect URIs exactly.
	reasonUnknownHost Reason = "unknown_host"
	// reasonOriginMismatch: a callback that arrives on another origin
	// than the one its login sent to the provider.
	reasonOriginMismatch Reason = "origin_mismatch"
)

// callbackFor returns the callback URL configured for r's Host, compared
// exactly (case aside, port included), or "" when there is none.
func (p *Provider) callbackFor(r *http.Request) string {
	if u, ok := p.cfg.CallbackURLs[strings.ToLower(r.Host)]; ok {
		return u.String()
	}
	return ""
}

// atRecordedCallback reports whether the callback request r arrived on
// the scheme, host and path of the callback URL its login recorded.
func (p *Provider) atRecordedCallback(r *http.Request, recorded string) bool {
	req := p.set.deps.Requests
	u, err := url.Parse(recorded)
	return err == nil && u.Scheme == req.Scheme(r) &&
		strings.EqualFold(u.Host, r.Host) && u.Path == req.OriginalURL(r).Path
}
