package caddymodule

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/caddymodule/pools"
	"github.com/authgate/authgate/caddymodule/zaplog"
	"github.com/authgate/authgate/oidclogin"
	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/session/sessionhttp"
	"github.com/authgate/authgate/verifier"
)

// sessionCacheTTL is how long session lookups are served from memory.
// With Redis it is also the longest a lost invalidation message could keep
// a revoked session alive, which must never exceed one second.
const sessionCacheTTL = time.Second

// edgeSessions is the provisioned session machinery of an App: the
// manager, and its HTTP endpoints and admin API (sessionhttp).
type edgeSessions struct {
	cfg     *config.SessionConfig
	manager *session.Manager
	store   *session.Deferred // bound to the shared store by Start
	opener  pools.StoreOpener
	cookie  sessionhttp.Cookie
	maxAge  time.Duration // exchange_max_age, also the age limit of OIDC ID tokens
	http    *sessionhttp.Endpoints
	admin   *sessionhttp.Admin
}

// provisionSessions builds the session manager and verifier, registers the
// session endpoints, and sets a.denyList and a.claimWriter. The store is
// opened by Start (startSessions): until then the manager's store answers
// ErrStoreNotOpen, which requests see as 503 store_unavailable.
func (a *App) provisionSessions(ctx caddy.Context) error {
	sc := a.Session
	if sc == nil {
		return nil
	}
	if err := sc.SetDefaults(); err != nil {
		return err
	}
	opener, err := pools.SessionStoreOpener(zaplog.NewKVLogger(a.logger), sc.Store)
	if err != nil {
		return err
	}
	// Requests reaching a route while Start opens the store wait for it
	// as long as opening may take.
	store := &session.Deferred{Wait: pools.BoltOpenTimeout}
	a.health.Store = store
	m, err := session.NewManager(session.Config{
		Store:       store,
		IdleTimeout: time.Duration(sc.IdleTimeout),
		Lifetime:    time.Duration(sc.Lifetime),
		MaxPerUser:  sc.MaxSessionsPerUser,
		CacheTTL:    sessionCacheTTL,
		// With Redis, each call is bounded by the store's own timeout.
		StoreTimeout: pools.StoreTimeout(sc.Store),
		Observer:     a.sessionObserver(),
	})
	if err != nil {
		return err
	}
	a.cleanups = append(a.cleanups, func() error { m.Close(); return nil })
	es, err := a.edgeSessions(sc, m)
	if err != nil {
		return err
	}
	es.store, es.opener = store, opener
	if _, dup := a.verifiers[session.VerifierName]; dup {
		return fmt.Errorf("verifier name %q is reserved for edge sessions", session.VerifierName)
	}
	sv := &session.Verifier{Manager: m, Cookie: es.cookie.Name, Bearer: sc.Bearer, HostOf: requestHost, Observer: a.verifierObserver()}
	a.addVerifier(session.VerifierName, &verifierEntry{other: sv, sources: sv.Sources()})
	a.sessions = es
	a.denyList = m
	a.claimWriter = m
	a.registerEndpoint("session", serveSession)
	a.registerEndpoint("logout", serveLogout)
	return nil
}

// edgeSessions builds the session endpoints and admin API over m.
func (a *App) edgeSessions(sc *config.SessionConfig, m *session.Manager) (*edgeSessions, error) {
	exchange, bound, err := a.exchangeVerifier(sc.Exchange)
	if err != nil {
		return nil, err
	}
	es := &edgeSessions{cfg: sc, manager: m, cookie: sessionhttp.Cookie{Name: sc.Cookie, Secure: !sc.InsecureCookie},
		maxAge: time.Duration(sc.ExchangeMaxAge), admin: sessionhttp.NewAdmin(m, a.fetchableClaim, zaplog.NewAdminAudit(a.logger))}
	cfg := sessionhttp.Config{
		Sessions: m, Cookie: es.cookie, Exchange: exchange, ExchangeMaxAge: es.maxAge, Lifetime: m.Lifetime(),
		BindToToken: sc.BindToToken, BoundVerifiers: bound, MaxTokenBytes: a.MaxTokenBytes, Leeway: a.maxLeeway(),
		ClientContext: func(r *http.Request) context.Context { a.noteClientIP(r); return clientContext(r) },
		Provider:      providerLogouts{a}, Bearer: sc.Bearer,
	}
	if sc.BindHost {
		cfg.HostOf = requestHost
	}
	if es.http, err = sessionhttp.New(cfg); err != nil {
		return nil, err
	}
	return es, nil
}

// providerLogouts ends the provider's side of a logout through the app's
// oidc blocks (sessionhttp.ProviderLogout).
type providerLogouts struct{ app *App }

func (p providerLogouts) ForgetLogins(w http.ResponseWriter) {
	if p.app.oidc.Len() > 0 {
		oidclogin.ForgetLogins(w)
	}
}

func (p providerLogouts) EndProviderSession(w http.ResponseWriter, r *http.Request, s *session.Session, target string) bool {
	return p.app.oidc.ProviderLogout(w, r, s, target)
}

// exchangeVerifier verifies exchanged tokens with the named verifiers:
// jwt blocks (and dev), and introspect blocks with iat_path, in name
// order. Exchanged tokens bypass the identity cache: each is used once.
// bound names the introspect blocks.
func (a *App) exchangeVerifier(names []string) (v verifier.Verifier, bound map[string]bool, err error) {
	if err := a.CheckExchange(); err != nil {
		return nil, nil, err
	}
	var jwts []*verifier.JWTVerifier
	var opaque []*verifier.IntrospectVerifier
	bound = map[string]bool{}
	for _, n := range slices.Compact(slices.Sorted(slices.Values(names))) {
		e := a.verifiers[n]
		if e == nil {
			return nil, nil, fmt.Errorf("session exchange: unknown verifier %q", n)
		}
		iv, introspected := e.other.(*verifier.IntrospectVerifier)
		switch {
		case introspected:
			opaque, bound[n] = append(opaque, iv), true
		case e.jwt != nil:
			jwts = append(jwts, e.jwt)
		default:
			return nil, nil, fmt.Errorf("session exchange: verifier %q is neither a jwt nor an introspect verifier", n)
		}
	}
	v, err = verifier.NewExchangeVerifier(jwts, opaque, verifier.RouterOptions{MaxTokenBytes: a.MaxTokenBytes})
	if err != nil {
		return nil, nil, fmt.Errorf("session exchange: %w", err)
	}
	return v, bound, nil
}

// startSessions opens the session store and binds it to the manager's
// deferred store. Until then session lookups answer 503 store_unavailable.
func (a *App) startSessions() error {
	es := a.sessions
	if es == nil || es.store.Bound() {
		return nil
	}
	st, err := es.opener.Load()
	if err != nil {
		return err
	}
	if !es.store.Bind(st) {
		_ = es.opener.Release()
		return nil
	}
	a.cleanups = append(a.cleanups, es.opener.Release)
	return nil
}

// requestHost returns the host (without port) of the request being
// served, for bind_host. Caddy's replacer knows the request; the context
// value of the original request does not keep the host.
func requestHost(ctx context.Context) string {
	repl, ok := ctx.Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	if !ok {
		return ""
	}
	return strings.ToLower(repl.ReplaceAll("{http.request.host}", ""))
}
