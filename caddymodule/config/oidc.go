package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
)

// OIDC defaults.
const (
	defaultLoginTimeout = 10 * time.Minute
	defaultOIDCTimeout  = 10 * time.Second
)

// defaultScopes are requested when an oidc block names none.
var defaultScopes = []string{"openid", "email", "profile"}

// OIDCConfig configures browser login through an OpenID Connect provider:
// the authorization-code flow with PKCE, ending in an edge session. Routes
// use it with `login oidc NAME`.
type OIDCConfig struct {
	// Name identifies the provider in `login oidc NAME`. Required.
	Name string `json:"name"`

	// Issuer is the provider's issuer URL; its configuration is discovered
	// at Issuer/.well-known/openid-configuration. Required. Placeholders
	// such as {env.*} are expanded.
	Issuer string `json:"issuer"`

	// ClientID is the client registered at the provider. Required.
	ClientID string `json:"client_id"`

	// ClientSecret is the client's secret. Placeholders such as {env.*}
	// and {file.*} are expanded. Default: none (public client, PKCE only).
	ClientSecret string `json:"client_secret,omitempty"`

	// Scopes are requested at login; openid is always included.
	// Default: openid email profile.
	Scopes []string `json:"scopes,omitempty"`

	// CallbackURLs are the absolute redirect URIs registered at the
	// provider, one per site host. A login uses the entry whose host equals
	// the request's Host exactly; a request for any other host is refused
	// (400 unknown_host): the redirect URI is never built from the Host
	// header or X-Forwarded-* headers. Required; {env.*} is expanded.
	CallbackURLs []string `json:"callback_urls,omitempty"`

	// Claims names the ID token (and userinfo) claims copied into the
	// session. Default: all of them but the registered and protocol claims
	// (iss, aud, exp, nonce, at_hash, …).
	Claims []string `json:"claims,omitempty"`

	// Userinfo fetches the userinfo endpoint at login and adds its claims
	// to the session. Default: off.
	Userinfo bool `json:"userinfo,omitempty"`

	// SubjectTemplate builds the canonical subject from the ID token's
	// "sub", as on jwt blocks. Default: {sub}.
	SubjectTemplate string `json:"subject_template,omitempty"`

	// SameSubjects names the other verifiers that front the same user
	// base, as on jwt blocks. Default: none.
	SameSubjects []string `json:"same_subjects,omitempty"`

	// LoginTimeout is how long a user may take at the provider before the
	// callback is refused. Default: 10m.
	LoginTimeout caddy.Duration `json:"login_timeout,omitempty"`

	// LoginLimit is each client's budget of login starts (IPv4 address or
	// IPv6 /64, as Caddy's trusted_proxies resolve it); past it, 429.
	// Default: 30 per 1m.
	LoginLimit *RateLimit `json:"login_limit,omitempty"`

	// FailureLimit is each client's budget of failed callbacks; past it,
	// callbacks get 429 before any store write or provider call.
	// Default: 5 per 1m.
	FailureLimit *RateLimit `json:"failure_limit,omitempty"`

	// Timeout bounds each call to the provider (discovery, token,
	// userinfo). Default: 10s.
	Timeout caddy.Duration `json:"timeout,omitempty"`
}

// SetDefaults fills in defaults and checks the block.
func (oc *OIDCConfig) SetDefaults() error {
	if oc.Name == "" || oc.Issuer == "" || oc.ClientID == "" {
		return fmt.Errorf("oidc %q: name, issuer and client_id are required", oc.Name)
	}
	if len(oc.Scopes) == 0 {
		oc.Scopes = slices.Clone(defaultScopes)
	}
	if !slices.Contains(oc.Scopes, "openid") {
		oc.Scopes = append([]string{"openid"}, oc.Scopes...)
	}
	if oc.SubjectTemplate == "" {
		oc.SubjectTemplate = "{sub}"
	}
	if !strings.Contains(oc.SubjectTemplate, "{sub}") {
		return fmt.Errorf("oidc %s: subject_template must contain {sub}", oc.Name)
	}
	if oc.LoginTimeout <= 0 {
		oc.LoginTimeout = caddy.Duration(defaultLoginTimeout)
	}
	if oc.Timeout <= 0 {
		oc.Timeout = caddy.Duration(defaultOIDCTimeout)
	}
	return oc.setLimitDefaults()
}
