package caddymodule

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/credential"
)

// denyOnLogout ends the other credentials of the user logging out: revoking
// the session alone would leave the identity-provider JWT it was exchanged
// from (still in a cookie or an app's memory) and any JWT presented with
// the logout working until they expire. Each is deny-listed by its key
// ((iss, jti), or subject and iat) until its exp, which also ends every
// session exchanged from it. A presented credential counts only once it
// verifies: an unverified token must not deny-list another user's token.
// A credential that does not verify (expired, revoked, garbage) is
// skipped; a store or key source that cannot be reached is an error, so
// that a logout that did not happen is never answered as done.
func (h *Handler) denyOnLogout(r *http.Request, ended []*session.Session) error {
	es := h.app.sessions
	for _, s := range ended {
		if s.SourceKey == "" {
			continue
		}
		if err := denyToken(r, es.manager, s.SourceKey, s.SourceExpires); err != nil {
			return err
		}
	}
	for _, sr := range h.routes {
		if sr.Source.Kind == verifier.SourceCookie && sr.Source.Name == es.cookie {
			continue
		}
		values, err := credential.Copies(r, sr.Source)
		if err != nil {
			return err
		}
		for _, value := range values {
			if err := h.denyPresented(r, sr, value); err != nil {
				return err
			}
		}
	}
	return nil
}

// denyPresented deny-lists value, a credential presented to logout from
// route source sr, when it verifies as a JWT.
func (h *Handler) denyPresented(r *http.Request, sr credential.Route, value string) error {
	if len(value) > h.app.MaxTokenSize {
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
	return denyToken(r, h.app.sessions.manager, session.TokenKey(id), h.app.acceptedUntil(id.ExpiresAt))
}

// denyToken deny-lists one token until it would expire anyway; a token
// that already expired needs no entry.
func denyToken(r *http.Request, m *session.Manager, key string, until time.Time) error {
	if key == "" || !until.After(time.Now()) {
		return nil
	}
	if _, err := m.Deny(r.Context(), session.Denial{Token: key, Until: until}); err != nil {
		return verifier.Unavailable(verifier.ReasonStoreUnavailable, err)
	}
	return nil
}

// clearCredentialCookies asks the browser to drop the route's credential
// cookies (`from cookie NAME`) at logout. It is a best effort: the cookie
// may have been set with another Path or Domain, which this cannot name;
// the deny-list entry made from the cookie's token is what ends it.
func (h *Handler) clearCredentialCookies(w http.ResponseWriter, r *http.Request) {
	for _, sr := range h.routes {
		name := sr.Source.Name
		if sr.Source.Kind != verifier.SourceCookie || name == h.app.sessions.cookie {
			continue
		}
		// __Secure- and __Host- cookies are only accepted with Secure.
		secure := r.TLS != nil || strings.HasPrefix(name, "__Secure-") || strings.HasPrefix(name, "__Host-")
		http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, Secure: secure})
	}
}
