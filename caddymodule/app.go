package caddymodule

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/authgate/authgate/caddymodule/build"
	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/caddymodule/devkey"
	"github.com/authgate/authgate/caddymodule/metrics"
	"github.com/authgate/authgate/caddymodule/pools"
	"github.com/authgate/authgate/caddymodule/zaplog"
	"github.com/authgate/authgate/claimsource"
	"github.com/authgate/authgate/forward"
	"github.com/authgate/authgate/health"
	"github.com/authgate/authgate/internal/logthrottle"
	"github.com/authgate/authgate/internal/redact"
	"github.com/authgate/authgate/oidclogin"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/policy/checkhttp"
	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

func init() {
	caddy.RegisterModule(App{})
}

// App is the authgate app: the state every authgate route shares. Its
// configuration (the JSON API, and the global option block `authgate { … }`
// in the Caddyfile) is config.App, embedded so that its fields are the
// app's JSON fields.
type App struct {
	config.App

	verifiers map[string]*verifierEntry
	order     []string            // verifier names in declaration order
	endpoints map[string]endpoint // by path below EndpointPrefix
	check     *checkhttp.Endpoint // the check endpoint, for explanations
	cache     *verifier.IdentityCache
	headers   []forward.Mapping
	policyOpt policy.Options
	global    *policy.Policy
	poolKeys  []string
	logger    *zap.Logger
	warnings  *logthrottle.Limiter // bounds repeated per-request warnings
	clientIP  *clientIPCheck       // warned about left-most client IPs

	sessions    *edgeSessions       // edge sessions (session.go); nil: off
	oidc        *oidclogin.Set      // browser login providers; nil: none
	callbacks   map[string]endpoint // oidc callbacks by path
	denyList    verifier.DenyList   // revoked IdP JWTs (edge sessions); nil: none
	refresher   policy.Refresher    // claim sources; nil: nothing refreshable
	claimWriter claimsource.Writer  // writes refreshed claims into sessions; nil: none
	cleanups    []func() error      // run by Cleanup in reverse order
	health      *health.Health      // liveness and readiness (package health)

	metrics   *metrics.Observer // reports to the process metrics; nil: off
	requests  *metrics.Requests // authgate_requests_total by verifier; nil: off
	noMetrics bool              // set by benchmarks measuring the cost of metrics
}

// verifierEntry is a provisioned verifier with its credential sources.
// Exactly one of jwt and other is set. JWT verifiers sharing a source are
// routed by issuer and their results go through the identity cache; other
// verifiers (introspection, edge sessions) keep their own caches, with
// their own revocation rules, and are tried after the JWTs, in order.
type verifierEntry struct {
	jwt      *verifier.JWTVerifier
	other    verifier.Verifier
	sources  []verifier.Source
	cacheTTL time.Duration
}

// CaddyModule returns the Caddy module information.
func (App) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "authgate",
		New: func() caddy.Module { return new(App) },
	}
}

// Provision sets defaults and builds verifiers, caches, policy and header
// mappings. Key sets are fetched in the background; Provision never waits
// on an identity provider for more than a few seconds.
func (a *App) Provision(ctx caddy.Context) error {
	a.logger = ctx.Logger()
	a.clientIP = new(clientIPCheck)
	a.warnings = zaplog.NewWarnLimiter()
	a.SetDefaults()
	if err := a.CheckBlocks(); err != nil {
		return err
	}
	a.health = &health.Health{Checks: a.Ready, JWKS: map[string]health.KeysLoader{}}
	if err := a.checkSubjects(nil); err != nil {
		return err
	}
	if !a.noMetrics {
		if err := metrics.Register(ctx.GetMetricsRegistry()); err != nil {
			return fmt.Errorf("registering metrics: %w", err)
		}
		a.metrics = new(metrics.Observer)
	}
	var cacheObs verifier.Observer
	if a.metrics != nil {
		cacheObs = a.metrics.IdentityCache()
	}
	cache, err := verifier.NewIdentityCache(a.CacheBytes, cacheObs)
	if err != nil {
		return fmt.Errorf("creating identity cache: %w", err)
	}
	a.cache = cache
	a.verifiers = map[string]*verifierEntry{}
	a.endpoints = map[string]endpoint{}
	// Order matters: JWT verifiers may re-check through introspection,
	// sessions exchange JWTs, and claim sources must exist before policies
	// compile.
	for _, step := range []func(caddy.Context) error{
		a.provisionIntrospection, a.provisionVerifiers, a.provisionSessions, a.provisionOIDC, a.provisionClaims,
	} {
		if err := step(ctx); err != nil {
			// Steps read the configured URLs: their errors may quote them.
			return redact.Error(err)
		}
	}
	a.policyOpt = policy.Options{Roles: a.Roles, RolesClaim: a.RolesClaim, Refresher: a.refresher}
	if a.global, err = build.Policy(a.Require, a.policyOpt); err != nil {
		return fmt.Errorf("compiling global validators: %w", err)
	}
	if err := a.provisionCheck(); err != nil {
		return err
	}
	if a.headers, err = forward.Compile(build.HeaderSpecs(a.Headers)); err != nil {
		return err
	}
	if a.metrics != nil {
		a.metrics.Prepare(a.order)
		a.requests = metrics.NewRequests(a.order, outcomes,
			reasonPreflight, reasonProtectedTrailer, "policy_denied", "claim_source_unavailable")
	}
	if err := a.provisionAssertion(ctx); err != nil {
		return err
	}
	a.health.OIDC = a.oidc
	return a.health.CheckReadiness()
}

// verifierObserver is the observer given to verifiers: nil when metrics
// are off.
func (a *App) verifierObserver() verifier.Observer {
	if a.metrics == nil {
		return nil
	}
	return a.metrics
}

// sessionObserver is the observer given to the session manager: nil when
// metrics are off.
func (a *App) sessionObserver() session.Observer {
	if a.metrics == nil {
		return nil
	}
	return a.metrics
}

// claimObserver is the observer given to claim sources: nil when metrics
// are off.
func (a *App) claimObserver() claimsource.Observer {
	if a.metrics == nil {
		return nil
	}
	return a.metrics
}

// loginObserver is the observer given to OIDC logins: nil when metrics are
// off.
func (a *App) loginObserver() oidclogin.Observer {
	if a.metrics == nil {
		return nil
	}
	return a.metrics
}

func (a *App) provisionVerifiers(ctx caddy.Context) error {
	if a.Dev {
		// The built-in "dev" verifier trusts the dev key in Caddy's storage.
		v, err := devkey.Verifier(ctx, ctx.Storage(), config.DevVerifierName, a.MaxClaims, a.MaxClaimDepth)
		if err != nil {
			return err
		}
		sources, _ := build.Sources(nil)
		a.addVerifier(config.DevVerifierName, &verifierEntry{jwt: v, sources: sources})
	}
	repl := caddy.NewReplacer()
	for _, jc := range a.JWT {
		if _, dup := a.verifiers[jc.Name]; dup || jc.Name == "" {
			return fmt.Errorf("jwt verifier name %q is empty or used twice", jc.Name)
		}
		entry, err := a.buildJWT(ctx, repl, jc)
		if err != nil {
			return fmt.Errorf("jwt verifier %q: %w", jc.Name, err)
		}
		a.addVerifier(jc.Name, entry)
	}
	return nil
}

func (a *App) addVerifier(name string, e *verifierEntry) {
	a.verifiers[name] = e
	a.order = append(a.order, name)
}

// buildJWT turns one jwt block into a verifier and its sources.
func (a *App) buildJWT(ctx caddy.Context, repl *caddy.Replacer, jc *config.JWTConfig) (*verifierEntry, error) {
	keys, err := build.KeySource(ctx, a.logger, repl, jc)
	if err != nil {
		return nil, err
	}
	if keys.PoolKey != "" {
		a.poolKeys = append(a.poolKeys, keys.PoolKey)
		if l, ok := keys.Source.(health.KeysLoader); ok {
			a.health.JWKS[jc.Name] = l
		}
	}
	recheck, err := a.rechecker(jc)
	if err != nil {
		return nil, err
	}
	v, err := verifier.NewJWTVerifier(build.JWT(repl, &a.App, jc, keys, recheck))
	if err != nil {
		return nil, err
	}
	sources, err := build.Sources(jc.From)
	if err != nil {
		return nil, err
	}
	a.warnCustomHeaders(jc.Name, sources)
	return &verifierEntry{jwt: v, sources: sources, cacheTTL: time.Duration(jc.CacheTTL)}, nil
}

// warnCustomHeaders warns when a credential travels in a header that Caddy's
// access log does not redact.
func (a *App) warnCustomHeaders(name string, sources []verifier.Source) {
	for _, s := range sources {
		if s.Kind == verifier.SourceHeader && !strings.EqualFold(s.Name, "Authorization") {
			a.logger.Warn("credential header is not redacted by Caddy's access logs; filter it in the log encoder",
				zap.String("verifier", name), zap.String("header", s.Name))
		}
	}
}

// Start opens the session store (see startSessions); other background
// work is owned by key sources and caches. Provisioning alone, as
// `caddy validate` does, opens no store.
func (a *App) Start() error {
	if err := a.startSessions(); err != nil {
		return redact.Error(err)
	}
	a.health.Running.Store(true)
	// Not at Provision: a config only validated or failing to load must not take go-redis's one logger.
	zaplog.UseRedisLogger(a.logger)
	if a.Dev {
		a.logger.Warn("authgate development mode is on: tokens signed by the local dev key are trusted; never use dev in production")
	}
	return nil
}

// Stop stops the app: from now on it is not live.
func (a *App) Stop() error {
	a.health.Running.Store(false)
	return nil
}

// Cleanup releases shared key sources and the identity cache. It is safe
// after a partial Provision.
func (a *App) Cleanup() error {
	for i := len(a.cleanups) - 1; i >= 0; i-- {
		if err := a.cleanups[i](); err != nil {
			a.logger.Error("authgate cleanup", zap.Error(redact.Error(err)))
		}
	}
	a.cleanups = nil
	for _, k := range a.poolKeys {
		_, _ = pools.ReleaseRemoteKeys(k)
	}
	a.poolKeys = nil
	if a.cache != nil {
		a.cache.Close()
	}
	return nil
}

// verifierNames returns the names of all verifiers in declaration order.
func (a *App) verifierNames() []string { return slices.Clone(a.order) }

// Interface guards
var (
	_ caddy.App          = (*App)(nil)
	_ caddy.Provisioner  = (*App)(nil)
	_ caddy.Validator    = (*App)(nil)
	_ caddy.CleanerUpper = (*App)(nil)
)
