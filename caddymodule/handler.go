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

	"github.com/authgate/authgate/caddymodule/build"
	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/forward"
	"github.com/authgate/authgate/oidclogin"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/session"
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

// Handler enforces authentication and claim policy on a route. Its
// configuration (the JSON API, and the `authgate` directive in the
// Caddyfile) is config.Handler, embedded so that its fields are the
// handler's JSON fields. With no configuration it accepts any verifier of
// the authgate app and runs the app's global validators.
type Handler struct {
	config.Handler

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
	h.SetDefaults()
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
	route, err := build.Policy(h.Require, a.policyOpt)
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
		if a.sessions != nil {
			v = session.Guarded(v) // session tokens go nowhere else
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

func (h *Handler) provisionOnFailure() (err error) {
	h.onFailure = map[string]string{}
	for _, of := range h.OnFailure {
		if !h.policy.Has(of.ID) {
			return fmt.Errorf("on_failure: unknown validator id %q", of.ID)
		}
		if !of.Pass { // Validate checks the target (and refuses both actions)
			h.onFailure[of.ID] = of.Redirect
		}
	}
	if pass := h.PassIDs(); len(pass) > 0 {
		h.logger.Warn("authgate validators in pass mode: their failures let requests through (outcome soft_denied)",
			zap.String("route", h.Route), zap.Strings("validators", pass))
		h.policy, err = h.policy.WithPass(pass)
	}
	return err
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
