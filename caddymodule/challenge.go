package caddymodule

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/authgate/authgate/internal/redirect"
	"github.com/authgate/authgate/oidclogin"
	"github.com/authgate/authgate/verifier"
)

// challenger decides what a browser navigation gets when its credential is
// missing or one a login can renew (see loginReasons). Each route has
// exactly one, chosen at Provision: a redirect to login_url, a login at the
// route's OpenID provider, or the plain 401 that API clients always get.
type challenger interface {
	Challenge(w http.ResponseWriter, r *http.Request, reason verifier.Reason) error
}

// newChallenger picks the route's challenger from its configuration.
func (h *Handler) newChallenger() challenger {
	switch {
	case h.login != nil:
		return oidcChallenge{provider: h.login}
	case h.LoginURL != "":
		return loginURLChallenge{url: h.LoginURL, param: h.LoginParam}
	}
	return plainChallenge{}
}

// loginURLChallenge redirects to login_url with the absolute original URL
// in the query parameter param (login_param).
type loginURLChallenge struct {
	url   string
	param string
}

func (c loginURLChallenge) Challenge(w http.ResponseWriter, r *http.Request, reason verifier.Reason) error {
	sep := "?"
	if strings.Contains(c.url, "?") {
		sep = "&"
	}
	target := c.url + sep + url.QueryEscape(c.param) + "=" + url.QueryEscape(returnURL(r))
	return sendRedirect(w, r, target, string(reason))
}

// oidcChallenge starts a login at the route's OpenID provider (`login oidc
// NAME`), or shows a page where that would loop.
type oidcChallenge struct {
	provider *oidclogin.Provider
}

func (c oidcChallenge) Challenge(w http.ResponseWriter, r *http.Request, _ verifier.Reason) error {
	c.provider.Challenge(w, r, returnURL(r))
	return nil
}

// challengeOutcome is the outcome of sending a request to the route's
// challenger: a redirect to a login, or the plain 401.
func (h *Handler) challengeOutcome() Outcome {
	if _, plain := h.challenge.(plainChallenge); plain {
		return OutcomeUnauthorized
	}
	return OutcomeRedirected
}

// plainChallenge answers 401 with a Bearer challenge and the reason body,
// as every API client is answered.
type plainChallenge struct{}

func (plainChallenge) Challenge(w http.ResponseWriter, r *http.Request, reason verifier.Reason) error {
	return writeUnauthorized(w, r, reason)
}

// isBrowserNavigation reports whether r is a top-level page load that can
// follow a redirect to a login page. XHR and fetch requests get the 401.
func isBrowserNavigation(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if r.Header.Get("X-Requested-With") != "" {
		return false
	}
	if mode := r.Header.Get("Sec-Fetch-Mode"); mode != "" && mode != "navigate" {
		return false
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// returnURL is the absolute original URL of r, where a login returns to.
// The host and TLS state come from r (see originalURL).
func returnURL(r *http.Request) string {
	return redirect.Origin(r) + originalURL(r).RequestURI()
}
