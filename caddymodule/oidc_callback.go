package caddymodule

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

// loginError is a failed callback step: the status and reason it answers.
type loginError struct {
	status int
	reason string
	cause  error
}

func (e *loginError) Error() string { return e.reason }

func failLogin(status int, reason string, cause error) error {
	return &loginError{status: status, reason: reason, cause: cause}
}

// serveCallback serves the provider's redirect back to the gateway: it
// checks the login state, exchanges the code, verifies the ID token,
// creates the edge session and returns the browser to where it started.
func (p *oidcProvider) serveCallback(h *Handler, w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return methodNotAllowed(w, r, "GET")
	}
	// A client past its failures gets 429 before anything else: before
	// the store is written or the provider called.
	p.app.noteClientIP(r)
	if wait := p.limits.failuresBlocked(r); wait > 0 {
		return p.tooMany(h, w, r, "failure_limit", wait)
	}
	q := r.URL.Query()
	ls, name, err := p.checkState(r, q.Get("state"))
	if name != "" {
		p.cookies.clear(w, name) // used, or not usable
	}
	if err != nil {
		return p.failed(h, w, r, err)
	}
	// The code was issued for the recorded redirect URI: one that arrives
	// elsewhere (another host of this gateway, another scheme) was carried
	// there by someone else.
	if !atRecordedCallback(r, ls.Callback) {
		return p.failed(h, w, r, failLogin(http.StatusBadRequest, reasonOriginMismatch, nil))
	}
	// RFC 9207: a provider that names itself must be this one.
	if iss := q.Get("iss"); iss != "" && iss != p.issuer {
		return p.failed(h, w, r, failLogin(http.StatusBadRequest, reasonInvalidState, errors.New("authorization response from another issuer")))
	}
	if q.Get("error") != "" {
		return p.failed(h, w, r, failLogin(http.StatusUnauthorized, reasonProviderError, nil))
	}
	if !plausibleCode(q.Get("code")) {
		return p.failed(h, w, r, failLogin(http.StatusBadRequest, reasonProviderError, errors.New("missing or malformed code")))
	}
	sum := sha256.Sum256([]byte(ls.State))
	// A state begun before the store lost its data may have been used.
	begun := ls.Expires.Add(-time.Duration(p.cfg.LoginTimeout))
	first, err := h.app.sessions.manager.UseIssued(r.Context(), "oidc-state|"+hex.EncodeToString(sum[:]), begun, ls.Expires)
	if err != nil {
		return p.failed(h, w, r, failLogin(http.StatusServiceUnavailable, "store_unavailable", err))
	}
	if !first {
		return p.failed(h, w, r, failLogin(http.StatusBadRequest, reasonStateReused, nil))
	}
	li, err := p.redeem(r, ls, q.Get("code"))
	if err != nil {
		return p.failed(h, w, r, err)
	}
	// A browser that brings a session cookie keeps it: no loop. Only
	// logins of browsers without one count towards login_loop.
	keepsCookie := h.app.sessions.token(r) != ""
	if err := p.createSession(h, w, r, li); err != nil {
		return p.failed(h, w, r, err)
	}
	if keepsCookie {
		forgetLogins(w)
	} else {
		p.codec.countLogin(w, r)
	}
	target := ls.Return
	if !safeRedirect(target, []string{requestOrigin(r)}) {
		target = "/"
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusSeeOther)
	return nil
}

// checkState finds and opens the login-state cookie of state. Any
// mismatch is invalid_state: no cookie for this state in this browser,
// a tampered or expired cookie, or one of another provider.
func (p *oidcProvider) checkState(r *http.Request, state string) (*loginState, string, error) {
	if state == "" || len(state) > 256 {
		return nil, "", failLogin(http.StatusBadRequest, reasonInvalidState, nil)
	}
	name := p.cookies.name(state)
	c, err := r.Cookie(name)
	if err != nil {
		return nil, "", failLogin(http.StatusBadRequest, reasonInvalidState, nil)
	}
	ls, err := p.codec.open(name, c.Value)
	if err != nil || ls.Provider != p.cfg.Name || subtle.ConstantTimeCompare([]byte(ls.State), []byte(state)) != 1 {
		return nil, name, failLogin(http.StatusBadRequest, reasonInvalidState, err)
	}
	return ls, name, nil
}

// login is a completed login at the provider.
type login struct {
	idToken *oidc.IDToken
	raw     string
	sid     string
	claims  map[string]any
}

// redeem exchanges the code (with the PKCE verifier) and verifies the ID
// token: signature through the provider's keys, iss, aud, expiry, azp
// and the nonce of this login.
func (p *oidcProvider) redeem(r *http.Request, ls *loginState, code string) (*login, error) {
	if !plausibleCode(code) {
		return nil, failLogin(http.StatusBadRequest, reasonProviderError, errors.New("missing or malformed code"))
	}
	d, err := p.discovered(r.Context())
	if err != nil {
		return nil, failLogin(http.StatusServiceUnavailable, reasonProviderUnavailable, err)
	}
	ctx, cancel := p.context(r.Context())
	defer cancel()
	tok, err := p.oauth(d, ls.Callback).Exchange(ctx, code, oauth2.VerifierOption(ls.Verifier))
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		// Log the status and error code only: the body is the provider's.
		cause := fmt.Errorf("token endpoint answered %d %q", re.Response.StatusCode, re.ErrorCode)
		if re.Response.StatusCode < 500 {
			return nil, failLogin(http.StatusUnauthorized, reasonCodeRejected, cause)
		}
		return nil, failLogin(http.StatusServiceUnavailable, reasonProviderUnavailable, cause)
	}
	if err != nil {
		return nil, failLogin(http.StatusServiceUnavailable, reasonProviderUnavailable, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" || len(raw) > p.app.MaxTokenSize {
		return nil, failLogin(http.StatusUnauthorized, reasonInvalidIDToken, errors.New("no usable id_token in the token response"))
	}
	vctx, keysDown := withKeysDown(ctx)
	idt, err := d.idTokens.Verify(vctx, raw)
	if *keysDown {
		return nil, failLogin(http.StatusServiceUnavailable, reasonProviderUnavailable, err)
	}
	if err != nil {
		return nil, failLogin(http.StatusUnauthorized, reasonInvalidIDToken, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(ls.Nonce)) != 1 {
		return nil, failLogin(http.StatusUnauthorized, reasonNonceMismatch, nil)
	}
	// The exchange rule of edge sessions: the token must be fresh.
	if age := time.Since(idt.IssuedAt); idt.IssuedAt.IsZero() || age > p.app.sessions.maxAge || age < -clockLeeway {
		return nil, failLogin(http.StatusUnauthorized, reasonInvalidIDToken, errors.New("ID token iat is missing or outside exchange_max_age"))
	}
	li := &login{idToken: idt, raw: raw}
	if err := exactClaims(idt.Claims, &li.claims); err != nil || !p.withinLimits(li.claims) {
		return nil, failLogin(http.StatusUnauthorized, reasonInvalidIDToken, err)
	}
	if err := p.checkAZP(idt, li.claims); err != nil {
		return nil, err
	}
	li.sid, _ = li.claims["sid"].(string)
	if p.cfg.Userinfo {
		if err := p.addUserinfo(ctx, d, tok, li); err != nil {
			return nil, err
		}
	}
	return li, nil
}

// checkAZP applies OpenID Connect Core 3.1.3.7: with several audiences
// the authorized party must be this client, and an azp present must be.
func (p *oidcProvider) checkAZP(idt *oidc.IDToken, claims map[string]any) error {
	azp, present := claims["azp"]
	if len(idt.Audience) > 1 && !present || present && azp != p.cfg.ClientID {
		return failLogin(http.StatusUnauthorized, reasonInvalidIDToken, errors.New("azp is not this client"))
	}
	return nil
}

// addUserinfo merges the userinfo claims into the login's; the userinfo
// subject must be the ID token's.
func (p *oidcProvider) addUserinfo(ctx context.Context, d *oidcDiscovery, tok *oauth2.Token, li *login) error {
	ui, err := d.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		// go-oidc's error holds the answer's body: do not log it.
		return failLogin(http.StatusServiceUnavailable, reasonProviderUnavailable, errors.New("userinfo request failed"))
	}
	if ui.Subject != li.idToken.Subject {
		return failLogin(http.StatusUnauthorized, reasonInvalidIDToken, errors.New("userinfo subject differs from the ID token's"))
	}
	var extra map[string]any
	if err := exactClaims(ui.Claims, &extra); err != nil {
		return failLogin(http.StatusUnauthorized, reasonInvalidIDToken, err)
	}
	for k, v := range extra {
		if !session.IsReserved(k) && !oidcProtocolClaims[k] {
			li.claims[k] = v
		}
	}
	if !p.withinLimits(li.claims) {
		return failLogin(http.StatusUnauthorized, reasonInvalidIDToken, errors.New("userinfo claims over max_claims or max_claim_depth"))
	}
	return nil
}

// withinLimits applies the app's max_claims and max_claim_depth to the
// claims a login brings.
func (p *oidcProvider) withinLimits(claims map[string]any) bool {
	return verifier.WithinLimits(claims, p.app.MaxClaims, p.app.MaxClaimDepth)
}

// plausibleCode refuses codes no provider issues (empty, huge, or with
// characters outside RFC 6749's VSCHAR) before any call goes out.
func plausibleCode(code string) bool {
	if code == "" || len(code) > 2048 {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < 0x20 || code[i] > 0x7e {
			return false
		}
	}
	return true
}

// createSession mints the edge session of a login, revoking any session
// the browser carried (no fixation), and sets its cookie.
func (p *oidcProvider) createSession(h *Handler, w http.ResponseWriter, r *http.Request, li *login) error {
	es := h.app.sessions
	subject := p.subject(li.idToken.Subject)
	if !verifier.ValidSubject(li.idToken.Subject) || !verifier.ValidSubject(subject) {
		// Empty, or with control characters that would reach headers.
		return failLogin(http.StatusUnauthorized, string(verifier.ReasonMalformed), errors.New("unusable subject"))
	}
	if _, err := es.revokeCarried(r); err != nil {
		var unavailable *verifier.UnavailableError
		if errors.As(err, &unavailable) {
			return failLogin(http.StatusServiceUnavailable, "store_unavailable", err)
		}
		return failLogin(http.StatusUnauthorized, string(verifier.ReasonMalformed), err)
	}
	jti, _ := li.claims["jti"].(string)
	ns := session.NewSession{
		UserID: subject, Claims: customClaims(p.sessionClaims(li.claims), li.idToken.IssuedAt),
		Verifier: "oidc:" + p.cfg.Name, SourceJTI: jti, ClaimsAt: li.idToken.IssuedAt,
		Provider: p.cfg.Name, ProviderSID: li.sid, IDToken: li.raw,
	}
	if es.cfg.BindHost {
		ns.Host = requestHost(r.Context())
	}
	tok, s, err := es.manager.Create(r.Context(), ns)
	if err != nil {
		return failLogin(http.StatusServiceUnavailable, "store_unavailable", err)
	}
	if li.sid != "" {
		// Back-channel logout tokens may carry only sid: remember whose it is.
		if err := es.manager.Link(r.Context(), p.sidKey(li.sid), subject, s.Expires.Add(session.DefaultRetain)); err != nil {
			return failLogin(http.StatusServiceUnavailable, "store_unavailable", err)
		}
	}
	es.setCookie(w, tok, s.Expires)
	return nil
}

// sidKey is the link from a provider session id to its user.
func (p *oidcProvider) sidKey(sid string) string { return "oidc-sid|" + p.cfg.Name + "|" + sid }

// loginFailedErr answers a failed callback step.
func (h *Handler) loginFailedErr(w http.ResponseWriter, r *http.Request, err error) error {
	var le *loginError
	if errors.As(err, &le) {
		return h.loginFailed(w, r, le.status, le.reason, le.cause)
	}
	return h.respond(w, r, err)
}
