package config

import (
	"fmt"
	"strings"

	"github.com/authgate/authgate/internal/firewall"
	"github.com/authgate/authgate/internal/redirect"
)

// Handler is the JSON configuration of the authgate handler on a route.
// The Caddyfile writes it as the `authgate` directive (see
// caddyfile_handler.go).
type Handler struct {
	// Require lists validators added on this route.
	Require []RequireConfig `json:"require,omitempty"`

	// SkipGlobal names global validators that do not run on this route.
	SkipGlobal []string `json:"skip_global,omitempty"`

	// OnFailure turns failures of given validators into redirects, or puts
	// them in pass mode.
	OnFailure []OnFailureConfig `json:"on_failure,omitempty"`

	// Route names the route in log lines, such as the start-up warning
	// listing validators in pass mode. The Caddyfile sets it to the file
	// and line of the first `on_failure … pass`. Default: none.
	Route string `json:"route,omitempty"`

	// LoginURL is where browser navigations without a valid credential are
	// redirected, with the original URL in LoginParam. Default: none (401).
	LoginURL string `json:"login_url,omitempty"`

	// LoginOIDC names an oidc block: browser navigations without a valid
	// credential start a login at that provider (API requests still get
	// 401). Caddyfile: `login oidc NAME`. Cannot be combined with LoginURL.
	LoginOIDC string `json:"login_oidc,omitempty"`

	// LoginParam names the query parameter carrying the return URL.
	// Default: redirect_uri.
	LoginParam string `json:"login_param,omitempty"`

	// Verifiers limits which verifiers this route accepts, edge sessions
	// included: a session is accepted only if what created it (the
	// exchanging verifier, an oidc block named here, or "session" for
	// admin-made ones) is listed, and "session" alone accepts every
	// session. LoginOIDC adds its block. Default: all.
	Verifiers []string `json:"verifiers,omitempty"`

	// Optional lets requests without any credential through anonymously.
	// Identity headers are still stripped; invalid credentials still get 401.
	Optional bool `json:"optional,omitempty"`

	// AllowPreflight passes CORS preflight requests (OPTIONS with Origin and
	// Access-Control-Request-Method) without authentication.
	AllowPreflight bool `json:"allow_preflight,omitempty"`

	// StripCredentials removes the route's credential headers and cookies
	// before the request goes upstream.
	StripCredentials bool `json:"strip_credentials,omitempty"`

	// DisableEndpoints turns off the gateway's own endpoints (under the
	// app's endpoint prefix) on this route. Caddyfile: `endpoints off`.
	DisableEndpoints bool `json:"disable_endpoints,omitempty"`

	// RejectPaths turns on request-firewall rules, each refusing a path
	// spelling with 400 path_<rule> before anything else runs:
	// encoded_nul, encoded_slash, encoded_backslash, backslash,
	// trailing_dot_space, semicolon. Default: none.
	RejectPaths []string `json:"reject_paths,omitempty"`

	// RedirectAllow lists origins (https://host[:port]) that on_failure
	// redirects may name besides same-origin paths.
	RedirectAllow []string `json:"redirect_allow,omitempty"`

	// AssertionAudience is the "aud" of the signed assertions forwarded on
	// this route: the app behind it, which checks it. Required when the app
	// forwards an assertion (`header NAME assertion`); never taken from the
	// request. Placeholders such as {env.*} are expanded at load.
	AssertionAudience string `json:"assertion_audience,omitempty"`

	onFailureAt []string // Caddyfile file:line of each OnFailure; adapt time only
}

// SetDefaults fills in the handler's defaults.
func (h *Handler) SetDefaults() {
	if h.LoginParam == "" {
		h.LoginParam = "redirect_uri"
	}
}

// Validate checks the handler's static configuration.
func (h *Handler) Validate() error {
	if h.LoginURL != "" && !strings.HasPrefix(h.LoginURL, "/") && !strings.HasPrefix(h.LoginURL, "https://") && !strings.HasPrefix(h.LoginURL, "http://") {
		return fmt.Errorf("login_url must be an absolute URL or a path")
	}
	if h.LoginURL != "" && h.LoginOIDC != "" {
		return fmt.Errorf("login_url and login oidc cannot both be set")
	}
	if err := h.validateOnFailure(); err != nil {
		return err
	}
	if err := firewall.Check(h.RejectPaths); err != nil {
		return err
	}
	for _, origin := range h.RedirectAllow {
		if err := redirect.CheckOrigin(origin); err != nil {
			return fmt.Errorf("redirect_allow %q: %w", origin, err)
		}
	}
	return nil
}
