package oidclogin

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"

	"github.com/authgate/authgate/internal/redirect"
	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

// loginError is a failed callback step: the status and reason it answers.
type loginError struct {
	status int
	reason Reason
	cause  error
}

func (e *loginError) Error() string { return string(e.reason) }

func failLogin(status int, reason Reason, cause error) *loginError {
	return &loginError{status: status, reason: reason, cause: cause}
}

// ServeCallback serves the provider's redirect back to the gateway: it
// checks the login state, exchanges the code, verifies the ID token,
// creates the edge session and returns the browser to where it started.
// It answers every request itself.
func (p *Provider) ServeCallback(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		p.set.methodNotAllowed(w, r, "GET")
		return
	}
	// A client past its failures gets 429 before anything else: before
	// the store is written or the provider called.
	client := p.set.deps.Requests.ClientKey(r)
	if wait := p.limits.failuresBlocked(client); wait > 0 {
		p.tooMany(w, r, client, "failure_limit", wait)
		return
	}
	target, le := p.callback(w, r)
	if le != nil {
		p.failed(w, r, client, le)
		return
	}
	p.set.observer().LoginCompleted(p.cfg.Name)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusSeeOther)
}

// callback runs the checks of a callback and, when they pass, creates the
// session and returns where the browser goes next.
func (p *Provider) callback(w http.ResponseWriter, r *http.Request) (string, *loginError) {
	q := r.URL.Query()
	ls, name, le := p.checkState(r, q.Get("state"))
	if name != "" {
		p.cookies.clear(w, name) // used, or not usable
	}
	if le != nil {
		return "", le
	}
	// The code was issued for the recorded redirect URI: one that arrives
	// elsewhere (another host of this gateway, another scheme) was carried
	// there by someone else.
	if !p.atRecordedCallback(r, ls.Callback) {
		return "", failLogin(http.StatusBadRequest, reasonOriginMismatch, nil)
	}
	// RFC 9207: a provider that names itself must be this one.
	if iss := q.Get("iss"); iss != "" && iss != p.cfg.Issuer {
		return "", failLogin(http.StatusBadRequest, reasonInvalidState, errors.New("authorization response from another issuer"))
	}
	if q.Get("error") != "" {
		return "", failLogin(http.StatusUnauthorized, reasonProviderError, nil)
	}
	if !plausibleCode(q.Get("code")) {
		return "", failLogin(http.StatusBadRequest, reasonProviderError, errors.New("missing or malformed code"))
	}
	sum := sha256.Sum256([]byte(ls.State))
	// A state begun before the store lost its data may have been used.
	begun := ls.Expires.Add(-p.cfg.LoginTimeout)
	first, err := p.set.deps.Markers.UseIssued(r.Context(), "oidc-state|"+hex.EncodeToString(sum[:]), begun, ls.Expires)
	if err != nil {
		return "", failLogin(http.StatusServiceUnavailable, reasonStoreUnavailable, err)
	}
	if !first {
		return "", failLogin(http.StatusBadRequest, reasonStateReused, nil)
	}
	li, le := p.redeem(r, ls, q.Get("code"))
	if le != nil {
		return "", le
	}
	// A browser that brings a session cookie keeps it: no loop. Only
	// logins of browsers without one count towards login_loop.
	keepsCookie := p.set.deps.Cookies.Carried(r)
	if le := p.createSession(w, r, li); le != nil {
		return "", le
	}
	if keepsCookie {
		ForgetLogins(w)
	} else {
		p.set.deps.Codec.countLogin(w, r)
	}
	target := ls.Return
	if !redirect.Safe(target, []string{redirect.Origin(r)}) {
		target = "/"
	}
	return target, nil
}

// checkState finds and opens the login-state cookie of state. Any
// mismatch is invalid_state: no cookie for this state in this browser,
// a tampered or expired cookie, or one of another provider.
func (p *Provider) checkState(r *http.Request, state string) (*LoginState, string, *loginError) {
	if state == "" || len(state) > 256 {
		return nil, "", failLogin(http.StatusBadRequest, reasonInvalidState, nil)
	}
	name := p.cookies.name(state)
	c, err := r.Cookie(name)
	if err != nil {
		return nil, "", failLogin(http.StatusBadRequest, reasonInvalidState, nil)
	}
	ls, err := p.set.deps.Codec.Open(name, c.Value)
	if err != nil || ls.Provider != p.cfg.Name || subtle.ConstantTimeCompare([]byte(ls.State), []byte(state)) != 1 {
		return nil, name, failLogin(http.StatusBadRequest, reasonInvalidState, err)
	}
	return ls, name, nil
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
func (p *Provider) createSession(w http.ResponseWriter, r *http.Request, li *login) *loginError {
	deps := p.set.deps
	subject := p.subject(li.idToken.Subject)
	if !verifier.ValidSubject(li.idToken.Subject) || !verifier.ValidSubject(subject) {
		// Empty, or with control characters that would reach headers.
		return failLogin(http.StatusUnauthorized, reasonMalformed, errors.New("unusable subject"))
	}
	if err := deps.Cookies.EndCarried(r); err != nil {
		var unavailable *verifier.UnavailableError
		if errors.As(err, &unavailable) {
			return failLogin(http.StatusServiceUnavailable, reasonStoreUnavailable, err)
		}
		return failLogin(http.StatusUnauthorized, reasonMalformed, err)
	}
	jti, _ := li.claims["jti"].(string)
	ns := session.NewSession{
		UserID: subject, Claims: p.sessionClaims(li.claims, li.idToken.IssuedAt),
		Verifier: "oidc:" + p.cfg.Name, SourceJTI: jti, ClaimsAt: li.idToken.IssuedAt,
		Provider: p.cfg.Name, ProviderSID: li.sid, IDToken: li.raw,
		Host: deps.Cookies.BoundHost(r), AMR: session.AMRFrom(li.claims),
	}
	tok, s, err := deps.Sessions.Create(r.Context(), ns)
	if err != nil {
		return failLogin(http.StatusServiceUnavailable, reasonStoreUnavailable, err)
	}
	if li.sid != "" {
		// Back-channel logout tokens may carry only sid: remember whose it is.
		if err := deps.Sessions.Link(r.Context(), p.sidKey(li.sid), subject, s.Expires.Add(session.DefaultRetain)); err != nil {
			return failLogin(http.StatusServiceUnavailable, reasonStoreUnavailable, err)
		}
	}
	deps.Cookies.Set(w, tok, s.Expires)
	return nil
}

// sidKey is the link from a provider session id to its user.
func (p *Provider) sidKey(sid string) string { return "oidc-sid|" + p.cfg.Name + "|" + sid }
