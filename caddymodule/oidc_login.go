package caddymodule

import (
	"html"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"go.uber.org/zap"
	"golang.org/x/oauth2"

	"github.com/authgate/authgate/internal/redact"
)

// Reasons of login failures (status, reason code and page text).
const (
	reasonProviderUnavailable = "provider_unavailable"
	reasonInvalidState        = "invalid_state"
	reasonStateReused         = "state_reused"
	reasonProviderError       = "provider_error"
	reasonCodeRejected        = "code_rejected"
	reasonInvalidIDToken      = "invalid_id_token"
	reasonNonceMismatch       = "nonce_mismatch"
	reasonUnknownProvider     = "unknown_provider"
	reasonLoginLoop           = "login_loop"
)

// maxReturnURL bounds the return URL kept in a login cookie; a longer one
// is replaced by "/" (the cookie must stay under 4 KiB).
const maxReturnURL = 2048

// loginPages are the fixed texts of the login error pages.
var loginPages = map[string]string{
	reasonProviderUnavailable: "The identity provider cannot be reached right now. Please try again in a moment.",
	reasonInvalidState:        "This sign-in link is not valid in this browser, or it has expired.",
	reasonStateReused:         "This sign-in link has already been used.",
	reasonProviderError:       "The identity provider did not sign you in.",
	reasonCodeRejected:        "The identity provider refused to complete the sign-in.",
	reasonInvalidIDToken:      "The identity provider's answer could not be verified.",
	reasonNonceMismatch:       "The identity provider's answer does not belong to this sign-in.",
	reasonUnknownProvider:     "No such sign-in provider.",
	reasonUnknownHost:         "Sign-in is not set up for this host name.",
	reasonRateLimited:         "Too many sign-in attempts from your network. Please wait a moment and try again.",
	reasonOriginMismatch:      "This sign-in was started on another site.",
	"malformed":               "The identity provider sent a user id this site cannot use.",
	"store_unavailable":       "Sessions cannot be stored right now. Please try again in a moment.",
	reasonLoginLoop:           "You signed in, but the session did not stick: this browser is not keeping the session cookie (on plain http, see insecure_cookie), or this page does not accept sessions.",
}

// startLogin sends a browser to the provider's authorization endpoint: a
// fresh state, nonce and PKCE verifier are sealed, with the return URL, in
// this login's own cookie.
func (p *oidcProvider) startLogin(h *Handler, w http.ResponseWriter, r *http.Request, returnTo string) error {
	p.app.noteClientIP(r)
	if wait := p.limits.takeLogin(r); wait > 0 {
		return p.tooMany(h, w, r, "login_limit", wait)
	}
	d, err := p.discovered(r.Context())
	if err != nil {
		return h.loginFailed(w, r, http.StatusServiceUnavailable, reasonProviderUnavailable, err)
	}
	callback := p.callbackFor(r)
	if callback == "" {
		return h.loginFailed(w, r, http.StatusBadRequest, reasonUnknownHost, nil)
	}
	ttl := time.Duration(p.cfg.LoginTimeout)
	ls := &loginState{
		Provider: p.cfg.Name, State: randomString(), Nonce: randomString(),
		Verifier: oauth2.GenerateVerifier(), Callback: callback,
		Return: returnTo, Expires: time.Now().Add(ttl),
	}
	if len(ls.Return) > maxReturnURL {
		ls.Return = "/"
	}
	name := p.cookies.name(ls.State)
	value, err := p.codec.seal(name, ls)
	if err != nil {
		ls.Return = "/" // the return URL made it too large
		if value, err = p.codec.seal(name, ls); err != nil {
			return h.loginFailed(w, r, http.StatusBadRequest, reasonInvalidState, err)
		}
	}
	p.cookies.clearExcess(w, r)
	p.cookies.set(w, name, value, ttl)
	target := p.oauth(d, ls.Callback).AuthCodeURL(ls.State, oauth2.S256ChallengeOption(ls.Verifier), oidc.Nonce(ls.Nonce))
	w.Header().Add("Vary", "Accept, Sec-Fetch-Mode")
	return h.redirect(w, r, target, "login")
}

// serveLogin serves GET /.authgate/login?redirect_uri=…[&provider=NAME]:
// a login started by a link in the app. The return URL must be on this
// origin; anything else is replaced by "/".
func serveLogin(h *Handler, w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return methodNotAllowed(w, r, "GET, HEAD")
	}
	p := h.login // a route's own provider wins over ?provider=
	if p == nil {
		p = h.loginProvider(r.URL.Query().Get("provider"))
	}
	if p == nil {
		return h.loginFailed(w, r, http.StatusNotFound, reasonUnknownProvider, nil)
	}
	if r.URL.Query().Has(loopResetParam) {
		forgetLogins(w)
	}
	returnTo := r.URL.Query().Get("redirect_uri")
	if !safeRedirect(returnTo, []string{requestOrigin(r)}) {
		returnTo = "/"
	}
	return p.startLogin(h, w, r, returnTo)
}

// loginProvider picks the provider of a login started at /.authgate/login
// on a route without `login oidc`: the named one, else the only one.
func (h *Handler) loginProvider(name string) *oidcProvider {
	switch {
	case name != "":
		return h.app.oidc[name]
	case len(h.app.oidc) == 1:
		for _, p := range h.app.oidc {
			return p
		}
	}
	return nil
}

// loginFailed answers a login that cannot go on: an HTML page for
// browsers, the JSON reason body otherwise. It never redirects, so a
// failing provider cannot send the browser round in a loop.
func (h *Handler) loginFailed(w http.ResponseWriter, r *http.Request, status int, reason string, cause error) error {
	return h.loginFailedPage(w, r, status, reason, cause, "/")
}

// loginFailedPage is loginFailed with the page's "start again" link
// going to retry, a same-origin path.
func (h *Handler) loginFailedPage(w http.ResponseWriter, r *http.Request, status int, reason string, cause error, retry string) error {
	if cause != nil {
		warnThrottled(h.app.loginLog, h.logger, "authgate login failed", zap.String("reason", reason), zap.Error(redact.Error(cause)))
	} else {
		h.logDenied(r, status, reason)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	w.Header().Add("Vary", "Accept")
	if !strings.Contains(r.Header.Get("Accept"), "text/html") {
		return writeJSON(w, r, status, reason, `{"error":"login_failed","reason":"`+reason+`"}`)
	}
	setErrorPlaceholders(r, status, reason)
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Content-Security-Policy", "default-src 'none'")
	w.WriteHeader(status)
	_, err := w.Write([]byte(`<!doctype html><meta charset="utf-8"><title>Sign-in failed</title>` +
		`<h1>Sign-in failed</h1><p>` + html.EscapeString(loginPages[reason]) + `</p>` +
		`<p>Reason: <code id="reason">` + reason + `</code></p><p><a id="retry" href="` + html.EscapeString(retry) + `">Try again</a></p>`))
	return err
}
