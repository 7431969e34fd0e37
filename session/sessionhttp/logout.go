package sessionhttp

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/authgate/authgate/internal/redirect"
	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/credential"
)

// ServeLogout serves POST to the logout endpoint: it revokes the session
// of every copy of the session cookie, deny-lists the credentials the
// request presents, clears the cookies, and answers 204, or 303 to a
// same-origin redirect_uri (any other target is ignored). A browser whose
// session came from a provider login is sent on to end the provider's
// session too.
func (e *Endpoints) ServeLogout(w http.ResponseWriter, r *http.Request, rt Route) error {
	if r.Method != http.MethodPost {
		return methodNotAllowed(w, r, rt, "POST")
	}
	if CrossSite(r) {
		return forbiddenCrossSite(w, r, rt)
	}
	// Every copy of the cookie, expired sessions too: their provider
	// session may still be alive.
	endedAll, err := e.RevokeCarried(r)
	if err != nil {
		return rt.Respond(w, r, err)
	}
	if err := e.denyOnLogout(r, rt, endedAll); err != nil {
		return rt.Respond(w, r, err)
	}
	e.cfg.Cookie.Clear(w)
	e.clearCredentialCookies(w, r, rt)
	if e.cfg.Provider != nil {
		e.cfg.Provider.ForgetLogins(w)
	}
	w.Header().Set("Cache-Control", "no-store")
	target := r.URL.Query().Get("redirect_uri")
	if target != "" && !redirect.Safe(target, []string{redirect.Origin(r)}) {
		target = ""
	}
	if ended := fromProvider(endedAll); ended != nil && e.cfg.Provider != nil && navigable(r) {
		if e.cfg.Provider.EndProviderSession(w, r, ended, target) {
			return nil
		}
	}
	if target != "" {
		w.Header().Set("Location", target)
		w.WriteHeader(http.StatusSeeOther)
		return nil
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// fromProvider returns the first of the ended sessions that a provider
// login created, or nil.
func fromProvider(ended []*session.Session) *session.Session {
	for _, s := range ended {
		if s.Provider != "" {
			return s
		}
	}
	return nil
}

// navigable reports whether the browser goes where the answer to r sends
// it: a form post or a non-browser client, not fetch or XHR.
func navigable(r *http.Request) bool {
	mode := r.Header.Get("Sec-Fetch-Mode")
	return (mode == "" || mode == "navigate") && r.Header.Get("X-Requested-With") == ""
}

// denyOnLogout ends the other credentials of the user logging out: revoking
// the session alone would leave the identity-provider JWT it was exchanged
// from (still in a cookie or an app's memory) and any JWT presented with
// the logout working until they expire. Each is deny-listed by its key
// ((iss, jti), or subject and iat) until its exp, which also ends every
// session exchanged from it. A presented credential counts only once it
// verifies: an unverified token must not deny-list another user's token.
// Every copy of a presented credential counts (see credential.Copies), so
// a decoy sent first cannot keep the real one alive. A credential that
// does not verify (expired, revoked, garbage) is skipped; a store or key
// source that cannot be reached is an error, so that a logout that did
// not happen is never answered as done.
func (e *Endpoints) denyOnLogout(r *http.Request, rt Route, ended []*session.Session) error {
	for _, s := range ended {
		if s.SourceKey == "" {
			continue
		}
		if err := e.denyToken(r, s.SourceKey, s.SourceExpires); err != nil {
			return err
		}
	}
	for _, sr := range rt.Sources() {
		if sr.Source.Kind == verifier.SourceCookie && sr.Source.Name == e.cfg.Cookie.Name {
			continue
		}
		values, err := credential.Copies(r, sr.Source)
		if err != nil {
			return err
		}
		for _, value := range values {
			if err := e.denyPresented(r, sr, value); err != nil {
				return err
			}
		}
	}
	return nil
}

// denyPresented deny-lists value, a credential presented to logout from
// route source sr, when it verifies as a JWT.
func (e *Endpoints) denyPresented(r *http.Request, sr credential.Route, value string) error {
	if len(value) > e.cfg.MaxTokenBytes {
		return nil
	}
	id, err := sr.Verify.Verify(r.Context(), verifier.Credential{Source: sr.Source, Value: value})
	var unavailable *verifier.UnavailableError
	if errors.As(err, &unavailable) {
		return err
	}
	if err != nil || id.TokenDigest == "" {
		return nil // not a JWT that verifies: nothing to end
	}
	return e.denyToken(r, session.TokenKey(id), e.acceptedUntil(id.ExpiresAt))
}

// denyToken deny-lists one token until it would expire anyway; a token
// that already expired needs no entry.
func (e *Endpoints) denyToken(r *http.Request, key string, until time.Time) error {
	if key == "" || !until.After(time.Now()) {
		return nil
	}
	if _, err := e.cfg.Sessions.Deny(r.Context(), session.Denial{Token: key, Until: until}); err != nil {
		return verifier.Unavailable(verifier.ReasonStoreUnavailable, err)
	}
	return nil
}

// clearCredentialCookies asks the browser to drop the route's credential
// cookies (`from cookie NAME`) at logout. It is a best effort: the cookie
// may have been set with another Path or Domain, which this cannot name;
// the deny-list entry made from the cookie's token is what ends it.
func (e *Endpoints) clearCredentialCookies(w http.ResponseWriter, r *http.Request, rt Route) {
	for _, sr := range rt.Sources() {
		name := sr.Source.Name
		if sr.Source.Kind != verifier.SourceCookie || name == e.cfg.Cookie.Name {
			continue
		}
		// __Secure- and __Host- cookies are only accepted with Secure.
		secure := r.TLS != nil || strings.HasPrefix(name, "__Secure-") || strings.HasPrefix(name, "__Host-")
		http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, Secure: secure})
	}
}
