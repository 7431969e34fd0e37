package caddymodule

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/authgate/authgate/forward"
	"github.com/authgate/authgate/internal/firewall"
	"github.com/authgate/authgate/internal/redirect"
	"github.com/authgate/authgate/oidclogin"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/credential"
)

func init() {
	caddy.RegisterModule(Handler{})
	httpcaddyfile.RegisterHandlerDirective("authgate", parseHandlerCaddyfile)
	// Authentication must run before request_header so that users can add
	// headers from {http.auth.user.*}, and next to forward_auth, its peer.
	httpcaddyfile.RegisterDirectiveOrder("authgate", httpcaddyfile.Before, "request_header")
}

// Handler enforces authentication and claim policy on a route. With no
// configuration it accepts any verifier of the authgate app and runs the
// app's global validators.
type Handler struct {
	// Require lists validators added on this route.
	Require []RequireConfig `json:"require,omitempty"`

	// SkipGlobal names global validators that do not run on this route.
	SkipGlobal []string `json:"skip_global,omitempty"`

	// OnFailure turns failures of given validators into redirects.
	OnFailure []OnFailureConfig `json:"on_failure,omitempty"`

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

	deps      deps // what the request path uses of the app
	challenge challenger
	routes    []credential.Route
	policy    *policy.Policy
	headers   forward.HeaderPolicy
	onFailure map[string]string
	login     *oidclogin.Provider // from LoginOIDC; nil: none
	assertAud string              // AssertionAudience, expanded
	logger    *zap.Logger
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.authgate",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision binds the handler to the authgate app and compiles its policy.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	if h.LoginParam == "" {
		h.LoginParam = "redirect_uri"
	}
	appIface, err := ctx.App("authgate")
	if err != nil {
		return fmt.Errorf("loading authgate app: %w", err)
	}
	return h.provisionWithApp(appIface.(*App))
}

// provisionWithApp compiles the handler against its (provisioned) app and
// takes from it the dependencies of the request path.
func (h *Handler) provisionWithApp(a *App) error {
	h.deps = a.handlerDeps()
	// The login ends in an edge session, which routeVerifiers makes the
	// route read and accept: refusing it would send every browser round
	// the provider forever.
	if h.LoginOIDC != "" {
		if h.login = a.oidc.Get(h.LoginOIDC); h.login == nil {
			return fmt.Errorf("login oidc %s: no such oidc block in the global authgate options", h.LoginOIDC)
		}
	}
	h.challenge = h.newChallenger()
	if err := h.provisionRoutes(a); err != nil {
		return err
	}
	route, err := compileSpecs(h.Require, a.policyOpt)
	if err != nil {
		return fmt.Errorf("compiling route validators: %w", err)
	}
	if h.policy, err = policy.Merge(a.global, route, h.SkipGlobal); err != nil {
		return err
	}
	h.headers = forward.NewHeaderPolicy(a.headers, h.credentialHeaders())
	if err := h.provisionAssertionAudience(a); err != nil {
		return err
	}
	return h.provisionOnFailure()
}

// provisionRoutes builds one cached verifier per distinct credential source:
// a source is served by the route's verifiers that read from it.
func (h *Handler) provisionRoutes(a *App) error {
	names, origins, err := h.routeVerifiers(a)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return fmt.Errorf("no verifiers configured: add a jwt block (or dev) to the global authgate options")
	}
	bySource := map[verifier.Source][]string{}
	var order []verifier.Source
	for _, name := range names {
		entry, ok := a.verifiers[name]
		if !ok {
			return fmt.Errorf("unknown verifier %q", name)
		}
		for _, s := range entry.sources {
			if _, seen := bySource[s]; !seen {
				order = append(order, s)
			}
			bySource[s] = append(bySource[s], name)
		}
	}
	for _, s := range order {
		v, err := a.sourceVerifier(s, bySource[s], origins)
		if err != nil {
			return err
		}
		h.routes = append(h.routes, credential.Route{Source: s, Verify: v})
	}
	return nil
}

// sourceVerifier builds the verifier for one credential source: the JWT
// verifiers reading it, routed by issuer behind the identity cache, then
// the other verifiers in declaration order.
func (a *App) sourceVerifier(s verifier.Source, names []string, origins map[string]bool) (verifier.Verifier, error) {
	var jwts []*verifier.JWTVerifier
	var jwtNames []string
	var chain verifier.Chain
	var ttl time.Duration
	for _, n := range names {
		e := a.verifiers[n]
		if e.jwt == nil {
			chain = append(chain, sessionVerifier(e.other, origins))
			continue
		}
		jwts, jwtNames = append(jwts, e.jwt), append(jwtNames, n)
		if e.cacheTTL > 0 && (ttl == 0 || e.cacheTTL < ttl) {
			ttl = e.cacheTTL
		}
	}
	if len(jwts) == 0 {
		return chain, nil
	}
	router, err := verifier.NewJWTRouter(jwts, verifier.RouterOptions{MaxTokenBytes: a.MaxTokenBytes})
	if err != nil {
		return nil, fmt.Errorf("credential source %s: %w", s, err)
	}
	slices.Sort(jwtNames)
	cached := verifier.NewCached(router, a.cache, verifier.CacheOptions{
		Group:  s.String() + "|" + strings.Join(jwtNames, ","),
		MaxTTL: ttl,
		Deny:   a.denyList,
	})
	if len(chain) == 0 {
		return cached, nil
	}
	return append(verifier.Chain{cached}, chain...), nil
}

func (h *Handler) credentialHeaders() []string {
	var out []string
	for _, sr := range h.routes {
		if sr.Source.Kind == verifier.SourceHeader {
			out = append(out, sr.Source.Name)
		}
	}
	return out
}

func (h *Handler) provisionOnFailure() error {
	h.onFailure = map[string]string{}
	ids := h.policy.IDs()
	for _, of := range h.OnFailure {
		if !slices.Contains(ids, of.ID) {
			return fmt.Errorf("on_failure: unknown validator id %q", of.ID)
		}
		// A second line would silently replace the first target.
		if _, dup := h.onFailure[of.ID]; dup {
			return fmt.Errorf("on_failure %s given twice", of.ID)
		}
		if !redirect.Safe(of.Redirect, h.RedirectAllow) {
			return fmt.Errorf("on_failure %s: redirect %q is not a same-origin path or an allowed origin", of.ID, of.Redirect)
		}
		h.onFailure[of.ID] = of.Redirect
	}
	return nil
}

// Validate checks the handler's static configuration.
func (h *Handler) Validate() error {
	if h.LoginURL != "" && !strings.HasPrefix(h.LoginURL, "/") && !strings.HasPrefix(h.LoginURL, "https://") && !strings.HasPrefix(h.LoginURL, "http://") {
		return fmt.Errorf("login_url must be an absolute URL or a path")
	}
	if h.LoginURL != "" && h.LoginOIDC != "" {
		return fmt.Errorf("login_url and login oidc cannot both be set")
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

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
