package caddymodule

import (
	"net/http"
	"strings"

	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/credential"
)

// refuseDuplicateCookie answers a request carrying the route's cookie more
// than once: API clients get 401 malformed; a browser navigation gets the
// cookie expired (the copy at Path=/ of this host, the one the gateway's
// own cookies use) and then the route's challenger: the login where the
// route has one, else the 401.
func (h *Handler) refuseDuplicateCookie(w http.ResponseWriter, r *http.Request, d *decision, dup *credential.DuplicateCookieError) error {
	if !isBrowserNavigation(r) {
		return h.unauthorized(w, r, d, verifier.ReasonMalformed)
	}
	http.SetCookie(w, &http.Cookie{
		Name: dup.Name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure:   r.TLS != nil || strings.HasPrefix(dup.Name, "__Secure-"),
		SameSite: http.SameSiteLaxMode,
	})
	h.logDenied(r, http.StatusUnauthorized, string(verifier.ReasonMalformed))
	w.Header().Add("Vary", "Accept, Sec-Fetch-Mode")
	d.set(h.challengeOutcome(), string(verifier.ReasonMalformed))
	return h.challenge.Challenge(w, r, verifier.ReasonMalformed)
}
