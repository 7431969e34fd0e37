package oidclogin

import (
	"html"
	"net/http"
	"strings"

	"github.com/authgate/authgate/internal/redact"
)

// loginPages are the fixed texts of the login error pages.
var loginPages = map[Reason]string{
	ReasonProviderUnavailable: "The identity provider cannot be reached right now. Please try again in a moment.",
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
	reasonMalformed:           "The identity provider sent a user id this site cannot use.",
	reasonStoreUnavailable:    "Sessions cannot be stored right now. Please try again in a moment.",
	reasonLoginLoop:           "You signed in, but the session did not stick: this browser is not keeping the session cookie (on plain http, see insecure_cookie), or this page does not accept sessions.",
}

// fail answers a login that cannot go on: an HTML page for browsers, the
// JSON reason body otherwise. It never redirects, so a failing provider
// cannot send the browser round in a loop.
func (s *Set) fail(w http.ResponseWriter, r *http.Request, status int, reason Reason, cause error) {
	s.failPage(w, r, status, reason, cause, "/")
}

// failPage is fail with the page's "start again" link going to retry, a
// same-origin path.
func (s *Set) failPage(w http.ResponseWriter, r *http.Request, status int, reason Reason, cause error, retry string) {
	if cause != nil {
		warnThrottled(s.failures, s.deps.requestLog(), "authgate login failed", "reason", string(reason), "error", redact.Error(cause))
	} else {
		s.denied(r, status, reason)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	w.Header().Add("Vary", "Accept")
	if !strings.Contains(r.Header.Get("Accept"), "text/html") {
		s.writeJSON(w, r, status, string(reason), `{"error":"login_failed","reason":"`+string(reason)+`"}`)
		return
	}
	s.deps.Requests.Answered(r, status, string(reason))
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Content-Security-Policy", "default-src 'none'")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`<!doctype html><meta charset="utf-8"><title>Sign-in failed</title>` +
		`<h1>Sign-in failed</h1><p>` + html.EscapeString(loginPages[reason]) + `</p>` +
		`<p>Reason: <code id="reason">` + string(reason) + `</code></p><p><a id="retry" href="` + html.EscapeString(retry) + `">Try again</a></p>`))
}

// denied logs a refused request at debug level, with its stable reason.
func (s *Set) denied(r *http.Request, status int, reason Reason) {
	s.deps.requestLog().Debug("authgate denied request", "status", status, "reason", string(reason), "path", r.URL.Path)
}

// writeJSON writes a JSON answer the login gives itself.
func (s *Set) writeJSON(w http.ResponseWriter, r *http.Request, status int, reason, body string) {
	if status >= http.StatusBadRequest {
		s.deps.Requests.Answered(r, status, reason)
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// redirect sends the browser to target with a 302.
func (s *Set) redirect(w http.ResponseWriter, r *http.Request, target, reason string) {
	s.deps.Requests.Answered(r, http.StatusFound, reason)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusFound)
}

// methodNotAllowed answers 405 with the methods an endpoint takes.
func (s *Set) methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	s.writeJSON(w, r, http.StatusMethodNotAllowed, "method_not_allowed", `{"error":"method_not_allowed"}`)
}
