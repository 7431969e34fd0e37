package caddymodule

import (
	"net/http"
	"strings"

	"github.com/authgate/authgate/verifier"
)

// duplicateCookieError reports the route's credential cookie sent more than
// once, for a name without the __Host- prefix. Such duplicates have innocent
// causes (a cookie set with two Paths, or by a sibling subdomain for the
// parent domain), and which copy an app reads is up to its parser, so
// none is accepted.
type duplicateCookieError struct {
	name string // the cookie name, from configuration
}

func (e *duplicateCookieError) Error() string {
	return "cookie " + e.name + " sent more than once"
}

// refuseDuplicateCookie answers a request carrying the route's cookie more
// than once: API clients get 401 malformed; a browser navigation gets the
// cookie expired (the copy at Path=/ of this host, the one the gateway's
// own cookies use) and the login redirect where the route has a login.
func (h *Handler) refuseDuplicateCookie(w http.ResponseWriter, r *http.Request, dup *duplicateCookieError) error {
	if !isBrowserNavigation(r) {
		return h.unauthorized(w, r, verifier.ReasonMalformed)
	}
	http.SetCookie(w, &http.Cookie{
		Name: dup.name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure:   r.TLS != nil || strings.HasPrefix(dup.name, "__Secure-"),
		SameSite: http.SameSiteLaxMode,
	})
	if h.LoginURL == "" && h.login == nil {
		return h.unauthorized(w, r, verifier.ReasonMalformed)
	}
	h.logDenied(r, http.StatusUnauthorized, string(verifier.ReasonMalformed))
	w.Header().Add("Vary", "Accept, Sec-Fetch-Mode")
	return h.sendToLogin(w, r, verifier.ReasonMalformed)
}
