package caddymodule

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/oidclogin"
	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/session/sessionhttp"
	"github.com/authgate/authgate/verifier"
)

// Session defaults.
const (
	defaultCookieName     = "__Host-authgate_session"
	insecureCookieName    = "authgate_session"
	defaultExchangeMaxAge = 5 * time.Minute
	// sessionCacheTTL is how long session lookups are served from memory.
	// With Redis it is also the longest a lost invalidation message could
	// keep a revoked session alive, which must never exceed one second.
	sessionCacheTTL = time.Second
)

// SessionConfig configures gateway-issued edge sessions: opaque tokens in
// a cookie, backed by a bolt file or Redis.
type SessionConfig struct {
	// Store says where sessions live. Default: a bolt file
	// authgate/sessions.db in Caddy's data directory.
	Store *SessionStoreConfig `json:"store,omitempty"`

	// Cookie is the session cookie's name. Default: __Host-authgate_session
	// (authgate_session with insecure_cookie). A __Host- name requires
	// Secure, so it cannot be combined with insecure_cookie.
	Cookie string `json:"cookie,omitempty"`

	// InsecureCookie drops the Secure attribute. Browsers accept Secure
	// cookies from http://localhost, so this is rarely needed. Default: off.
	InsecureCookie bool `json:"insecure_cookie,omitempty"`

	// IdleTimeout ends a session unused for this long; every use extends
	// it (recorded at most once per IdleTimeout/10, at most once a minute).
	// Default: 30m.
	IdleTimeout caddy.Duration `json:"idle_timeout,omitempty"`

	// Lifetime is the absolute cap on a session. Default: 24h.
	Lifetime caddy.Duration `json:"lifetime,omitempty"`

	// Exchange names the verifiers (jwt blocks, or dev) whose tokens
	// POST /.authgate/session accepts. Default: none (no exchange).
	Exchange []string `json:"exchange,omitempty"`

	// ExchangeMaxAge is how old (by iat) an exchanged token may be.
	// Default: 5m.
	ExchangeMaxAge caddy.Duration `json:"exchange_max_age,omitempty"`

	// MaxSessionsPerUser caps live sessions per user; minting one more
	// revokes the oldest. Default: 50.
	MaxSessionsPerUser int `json:"max_sessions_per_user,omitempty"`

	// BindHost makes a session valid only on the host it was created on.
	// Default: off (valid on every site of the gateway).
	BindHost bool `json:"bind_host,omitempty"`
}

// SessionStoreConfig selects the session store.
type SessionStoreConfig struct {
	// Type is "bolt" (embedded, one instance) or "redis" (shared by
	// several instances). Default: bolt.
	Type string `json:"type,omitempty"`
	// Path is the bolt file. Default: authgate/sessions.db in Caddy's data
	// directory. Placeholders such as {env.*} are expanded.
	Path string `json:"path,omitempty"`
	// URL is the Redis URL (redis://[user:pass@]host:port/db or
	// rediss://…). Required for redis unless Redis.Sentinel is set.
	// Placeholders are expanded.
	URL string `json:"url,omitempty"`
	// Redis holds timeouts, Sentinel and replication settings for redis.
	Redis *RedisOptions `json:"redis,omitempty"`
}

// edgeSessions is the provisioned session machinery of an App: the
// manager, and its HTTP endpoints and admin API (sessionhttp).
type edgeSessions struct {
	cfg     *SessionConfig
	manager *session.Manager
	cookie  sessionhttp.Cookie
	maxAge  time.Duration // exchange_max_age, also the age limit of OIDC ID tokens
	http    *sessionhttp.Endpoints
	admin   *sessionhttp.Admin
}

// provisionSessions builds the session store and verifier, registers the
// session endpoints, and sets a.denyList and a.claimWriter.
func (a *App) provisionSessions(ctx caddy.Context) error {
	sc := a.Session
	if sc == nil {
		return nil
	}
	if err := sc.setDefaults(); err != nil {
		return err
	}
	store, key, err := loadSessionStore(ctx, a.logger, sc.Store)
	if err != nil {
		return err
	}
	a.cleanups = append(a.cleanups, func() error { _, err := sessionStores.Delete(key); return err })
	m, err := session.NewManager(session.Config{
		Store:       store,
		IdleTimeout: time.Duration(sc.IdleTimeout),
		Lifetime:    time.Duration(sc.Lifetime),
		MaxPerUser:  sc.MaxSessionsPerUser,
		CacheTTL:    sessionCacheTTL,
		// With Redis, each call is bounded by the store's own timeout.
		StoreTimeout: sc.Store.storeTimeout(),
	})
	if err != nil {
		return err
	}
	a.cleanups = append(a.cleanups, func() error { m.Close(); return nil })
	es, err := a.edgeSessions(sc, m)
	if err != nil {
		return err
	}
	if _, dup := a.verifiers[session.VerifierName]; dup {
		return fmt.Errorf("verifier name %q is reserved for edge sessions", session.VerifierName)
	}
	a.addVerifier(session.VerifierName, &verifierEntry{
		other:   &session.Verifier{Manager: m, Cookie: es.cookie.Name, HostOf: requestHost},
		sources: []verifier.Source{{Kind: verifier.SourceCookie, Name: es.cookie.Name}},
	})
	a.sessions = es
	a.denyList = m
	a.claimWriter = m
	a.registerEndpoint("session", serveSession)
	a.registerEndpoint("logout", serveLogout)
	return nil
}

// edgeSessions builds the session endpoints and admin API over m.
func (a *App) edgeSessions(sc *SessionConfig, m *session.Manager) (*edgeSessions, error) {
	exchange, err := a.exchangeVerifier(sc.Exchange)
	if err != nil {
		return nil, err
	}
	es := &edgeSessions{cfg: sc, manager: m, cookie: sessionhttp.Cookie{Name: sc.Cookie, Secure: !sc.InsecureCookie},
		maxAge: time.Duration(sc.ExchangeMaxAge), admin: sessionhttp.NewAdmin(m, a.fetchableClaim)}
	cfg := sessionhttp.Config{
		Sessions: m, Cookie: es.cookie, Exchange: exchange, ExchangeMaxAge: es.maxAge,
		MaxTokenBytes: a.MaxTokenBytes, Leeway: a.maxLeeway(),
		ClientContext: func(r *http.Request) context.Context { a.noteClientIP(r); return clientContext(r) },
		Provider:      providerLogouts{a},
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

// setDefaults fills in defaults and checks the cookie settings.
func (sc *SessionConfig) setDefaults() error {
	if sc.Store == nil {
		sc.Store = &SessionStoreConfig{}
	}
	if sc.Store.Type == "" {
		sc.Store.Type = "bolt"
	}
	if sc.Cookie == "" {
		sc.Cookie = defaultCookieName
		if sc.InsecureCookie {
			sc.Cookie = insecureCookieName
		}
	}
	if sc.InsecureCookie && strings.HasPrefix(sc.Cookie, "__Host-") || sc.InsecureCookie && strings.HasPrefix(sc.Cookie, "__Secure-") {
		return fmt.Errorf("session cookie %q: __Host- and __Secure- cookies need Secure, which insecure_cookie turns off", sc.Cookie)
	}
	if sc.Cookie == "" || strings.ContainsAny(sc.Cookie, " \t\r\n;,=\"") {
		return fmt.Errorf("session cookie name %q is not valid", sc.Cookie)
	}
	if sc.ExchangeMaxAge == 0 {
		sc.ExchangeMaxAge = caddy.Duration(defaultExchangeMaxAge)
	}
	if sc.MaxSessionsPerUser < 0 {
		return fmt.Errorf("max_sessions_per_user must be positive")
	}
	return nil
}

// exchangeVerifier routes exchanged tokens to the named JWT verifiers.
// Exchanged tokens bypass the identity cache: each is used once.
func (a *App) exchangeVerifier(names []string) (verifier.Verifier, error) {
	if len(names) == 0 {
		return nil, nil
	}
	var jwts []*verifier.JWTVerifier
	for _, n := range slices.Compact(slices.Sorted(slices.Values(names))) {
		e, ok := a.verifiers[n]
		if !ok {
			return nil, fmt.Errorf("session exchange: unknown verifier %q", n)
		}
		if e.jwt == nil {
			return nil, fmt.Errorf("session exchange: verifier %q is not a jwt verifier", n)
		}
		jwts = append(jwts, e.jwt)
	}
	router, err := verifier.NewJWTRouter(jwts, verifier.RouterOptions{MaxTokenBytes: a.MaxTokenBytes})
	if err != nil {
		return nil, fmt.Errorf("session exchange: %w", err)
	}
	return router, nil
}

// defaultSessionPath is the bolt file used when none is configured.
func defaultSessionPath() string {
	return filepath.Join(caddy.AppDataDir(), "authgate", "sessions.db")
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
