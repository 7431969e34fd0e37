package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
)

// Session defaults.
const (
	defaultCookieName     = "__Host-authgate_session"
	insecureCookieName    = "authgate_session"
	defaultExchangeMaxAge = 5 * time.Minute
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

	// Exchange names the verifiers (jwt blocks, dev, or introspect blocks
	// that declare iat_path) whose tokens POST /.authgate/session accepts.
	// Default: none (no exchange).
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

	// BindToToken ends a session exchanged from a JWT no later than that
	// token's exp (a deny-listed token ends its sessions in any case).
	// Default: off (sessions last their idle_timeout and lifetime).
	BindToToken bool `json:"bind_to_token,omitempty"`

	// Bearer also accepts session tokens as `Authorization: Bearer`
	// credentials, and lets an exchange answer with the token in its body
	// ("return":"token") instead of a cookie. Default: off.
	Bearer bool `json:"bearer,omitempty"`
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

// SetDefaults fills in defaults and checks the cookie settings.
func (sc *SessionConfig) SetDefaults() error {
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
