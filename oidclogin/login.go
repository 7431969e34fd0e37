package oidclogin

import (
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/authgate/authgate/internal/redirect"
	"github.com/authgate/authgate/verifier"
)

// Reasons of login failures (status, reason code and page text).
const (
	// ReasonProviderUnavailable: the provider's configuration, keys or
	// endpoints cannot be reached (503).
	ReasonProviderUnavailable Reason = "provider_unavailable"
	reasonInvalidState        Reason = "invalid_state"
	reasonStateReused         Reason = "state_reused"
	reasonProviderError       Reason = "provider_error"
	reasonCodeRejected        Reason = "code_rejected"
	reasonInvalidIDToken      Reason = "invalid_id_token"
	reasonNonceMismatch       Reason = "nonce_mismatch"
	reasonUnknownProvider     Reason = "unknown_provider"
	reasonLoginLoop           Reason = "login_loop"
	reasonMalformed           Reason = Reason(verifier.ReasonMalformed)
	reasonStoreUnavailable    Reason = Reason(verifier.ReasonStoreUnavailable)
)

// maxReturnURLBytes bounds the return URL kept in a login cookie; a
// longer one is replaced by "/" (the cookie must stay under 4 KiB).
const maxReturnURLBytes = 2048

// Challenge answers a browser navigation that needs a login, on a route
// whose login is p: a redirect to the provider with a fresh login, or a
// page when that would loop (the navigation is a callback itself, or the
// browser keeps coming back without keeping its session). returnTo is the
// absolute URL the login returns to.
func (p *Provider) Challenge(w http.ResponseWriter, r *http.Request, returnTo string) {
	if p.set.atCallback(r) {
		// A callback on a route with endpoints off: starting another
		// login from it would loop through the provider.
		p.fail(w, r, http.StatusNotFound, reasonInvalidState, nil)
		return
	}
	if p.set.deps.Codec.recentLogins(r) >= maxLoopLogins {
		p.loginLoop(w, r)
		return
	}
	p.start(w, r, returnTo)
}

// start sends a browser to the provider's authorization endpoint: a
// fresh state, nonce and PKCE verifier are sealed, with the return URL, in
// this login's own cookie.
func (p *Provider) start(w http.ResponseWriter, r *http.Request, returnTo string) {
	client := p.set.deps.Requests.ClientKey(r)
	if wait := p.limits.takeLogin(client); wait > 0 {
		p.tooMany(w, r, client, "login_limit", wait)
		return
	}
	d, err := p.discovered(r.Context())
	if err != nil {
		p.fail(w, r, http.StatusServiceUnavailable, ReasonProviderUnavailable, err)
		return
	}
	callback := p.callbackFor(r)
	if callback == "" {
		p.fail(w, r, http.StatusBadRequest, reasonUnknownHost, nil)
		return
	}
	ls := &LoginState{
		Provider: p.cfg.Name, State: randomString(), Nonce: randomString(),
		Verifier: oauth2.GenerateVerifier(), Callback: callback,
		Return: returnTo, Expires: time.Now().Add(p.cfg.LoginTimeout),
	}
	if len(ls.Return) > maxReturnURLBytes {
		ls.Return = "/"
	}
	codec := p.set.deps.Codec
	name := p.cookies.name(ls.State)
	value, err := codec.Seal(name, ls)
	if err != nil {
		ls.Return = "/" // the return URL made it too large
		if value, err = codec.Seal(name, ls); err != nil {
			p.fail(w, r, http.StatusBadRequest, reasonInvalidState, err)
			return
		}
	}
	p.cookies.clearExcess(w, r)
	p.cookies.set(w, name, value, p.cfg.LoginTimeout)
	target := p.oauth(d, ls.Callback).AuthCodeURL(ls.State, oauth2.S256ChallengeOption(ls.Verifier), oidc.Nonce(ls.Nonce))
	w.Header().Add("Vary", "Accept, Sec-Fetch-Mode")
	p.set.observer().LoginStarted(p.cfg.Name)
	p.set.redirect(w, r, target, "login")
}

// ServeLogin serves GET /.authgate/login?redirect_uri=…[&provider=NAME]:
// a login started by a link in the app, at the route's own provider when
// it has one (route; nil: none), else the named one, else the only one.
// The return URL must be on this origin; anything else is replaced by "/".
func (s *Set) ServeLogin(w http.ResponseWriter, r *http.Request, route *Provider) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.methodNotAllowed(w, r, "GET, HEAD")
		return
	}
	p := route // a route's own provider wins over ?provider=
	if p == nil {
		p = s.pick(r.URL.Query().Get("provider"))
	}
	if p == nil {
		s.observer().LoginFailed("", reasonUnknownProvider)
		s.fail(w, r, http.StatusNotFound, reasonUnknownProvider, nil)
		return
	}
	if r.URL.Query().Has(loopResetParam) {
		ForgetLogins(w)
	}
	returnTo := r.URL.Query().Get("redirect_uri")
	if !redirect.Safe(returnTo, []string{redirect.Origin(r)}) {
		returnTo = "/"
	}
	p.start(w, r, returnTo)
}

// pick chooses the provider of a login started at the login endpoint on a
// route without its own: the named one, else the only one.
func (s *Set) pick(name string) *Provider {
	switch {
	case name != "":
		return s.byName[name]
	case len(s.byName) == 1:
		for _, p := range s.byName {
			return p
		}
	}
	return nil
}
