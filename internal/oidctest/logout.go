package oidctest

import (
	"crypto/rsa"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// BackchannelLogoutEvent is the member of a logout token's "events" claim
// that marks it as one (OpenID Back-Channel Logout 1.0 section 2.4).
const BackchannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// EndSession is one call to the end_session_endpoint (OpenID RP-Initiated
// Logout 1.0), with the parameters the relying party sent.
type EndSession struct {
	IDTokenHint           string
	PostLogoutRedirectURI string
	State                 string
	ClientID              string
}

// endSession is the end_session_endpoint. It records the call, ends the
// browser's provider session, and redirects to post_logout_redirect_uri
// (with state) when that URI is allowed, else shows a "logged out" page, as
// providers do for an unregistered URI.
func (p *Provider) endSession(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	es := EndSession{
		IDTokenHint:           r.Form.Get("id_token_hint"),
		PostLogoutRedirectURI: r.Form.Get("post_logout_redirect_uri"),
		State:                 r.Form.Get("state"),
		ClientID:              r.Form.Get("client_id"),
	}
	p.mu.Lock()
	p.logouts = append(p.logouts, es)
	if c, err := r.Cookie(sidCookie); err == nil {
		delete(p.sessions, c.Value)
	}
	p.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sidCookie, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	if target, ok := p.postLogoutTarget(es.PostLogoutRedirectURI, es.State); ok {
		http.Redirect(w, r, target, http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, "<!doctype html><html><body><p id=\"logged-out\">logged out</p></body></html>\n")
}

// postLogoutTarget returns where /logout redirects: uri with state added,
// if uri is allowed by Options.PostLogoutRedirectURIs (exact match) or, with
// that list empty, is an http(s) URI on a loopback host.
func (p *Provider) postLogoutTarget(uri, state string) (string, bool) {
	u, err := url.Parse(uri)
	if uri == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false
	}
	if len(p.opts.PostLogoutRedirectURIs) > 0 {
		if !slices.Contains(p.opts.PostLogoutRedirectURIs, uri) {
			return "", false
		}
	} else if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", false
	}
	if state != "" {
		q := u.Query()
		q.Set("state", state)
		u.RawQuery = q.Encode()
	}
	return u.String(), true
}

// LogoutToken returns a back-channel logout token (OpenID Back-Channel
// Logout 1.0 section 2.4) signed with the provider key: iss, aud (the
// client ID), iat, exp (iat + 2m), a random jti, the events claim, and sub
// and sid unless empty; header typ "logout+jwt" and the key's kid. mutate,
// when not nil, may change the claims before signing (to test refusals).
func (p *Provider) LogoutToken(sub, sid string, mutate func(jwt.MapClaims)) string {
	now := time.Now()
	claims := jwt.MapClaims{
		"iss":    p.issuer,
		"aud":    p.opts.ClientID,
		"iat":    now.Unix(),
		"exp":    now.Add(2 * time.Minute).Unix(),
		"jti":    randomID(p.t),
		"events": map[string]any{BackchannelLogoutEvent: map[string]any{}},
	}
	if sub != "" {
		claims["sub"] = sub
	}
	if sid != "" {
		claims["sid"] = sid
	}
	if mutate != nil {
		mutate(claims)
	}
	return p.sign(p.key, claims)
}

// SignWithForeignKey signs claims exactly as LogoutToken does (same kid,
// typ "logout+jwt", RS256) but with a different RSA key, so the token names
// the provider's key yet fails signature verification.
func (p *Provider) SignWithForeignKey(claims jwt.MapClaims) string {
	return p.sign(p.foreign(), claims)
}

// sign returns claims signed RS256 by key, with the provider's kid.
func (p *Provider) sign(key *rsa.PrivateKey, claims jwt.MapClaims) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = p.kid
	tok.Header["typ"] = "logout+jwt"
	s, err := tok.SignedString(key)
	if err != nil {
		p.t.Fatalf("oidctest: signing a logout token: %v", err)
	}
	return s
}
