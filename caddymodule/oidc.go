package caddymodule

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/internal/logthrottle"
)

// OIDC defaults.
const (
	defaultLoginTimeout = 10 * time.Minute
	defaultOIDCTimeout  = 10 * time.Second
	// discoveryRetry is the least time between two discovery attempts
	// while the provider is unreachable: logins fail fast meanwhile.
	discoveryRetry = 2 * time.Second
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

// oidcProtocolClaims describe the login, not the user: they are never
// copied into a session (sid is kept apart, for back-channel logout).
// _claim_names and _claim_sources (distributed claims) may hold access
// tokens of other services.
var oidcProtocolClaims = map[string]bool{
	"nonce": true, "at_hash": true, "c_hash": true, "azp": true, "sid": true, "s_hash": true,
	"_claim_names": true, "_claim_sources": true,
}

// setDefaults fills in defaults and checks the block.
func (oc *OIDCConfig) setDefaults() error {
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

// provisionOIDC builds the oidc providers and registers their callback
// and the back-channel logout and login endpoints. Discovery runs in the
// background; a provider that cannot be reached yet makes logins answer
// 503 until it can.
func (a *App) provisionOIDC(ctx caddy.Context) error {
	if len(a.OIDC) == 0 {
		return nil
	}
	codec, err := loadLoginCodec(ctx, ctx.Storage())
	if err != nil {
		return err
	}
	a.oidc = map[string]*oidcProvider{}
	a.callbacks = map[string]endpoint{}
	a.loginLog = logthrottle.New(10*time.Second, 5, nil)
	repl := caddy.NewReplacer()
	clients := map[string]bool{} // issuer and client_id
	for _, oc := range a.OIDC {
		if err := oc.setDefaults(); err != nil {
			return err
		}
		// Providers handing out the same subjects are refused by
		// checkSubjects; two blocks for one client would be one login.
		if clients[oc.Issuer+"\x00"+oc.ClientID] {
			return fmt.Errorf("oidc %s: another oidc block has the same issuer and client_id", oc.Name)
		}
		clients[oc.Issuer+"\x00"+oc.ClientID] = true
		if _, dup := a.oidc[oc.Name]; dup {
			return fmt.Errorf("oidc %s defined twice", oc.Name)
		}
		// `verifiers` lists name oidc blocks and verifiers alike.
		if _, clash := a.verifiers[oc.Name]; clash {
			return fmt.Errorf("oidc %s: the name is taken by another verifier (jwt, introspect, dev or session)", oc.Name)
		}
		callbacks, err := parseCallbackURLs(oc, repl)
		if err != nil {
			return err
		}
		p := &oidcProvider{
			cfg: oc, app: a, ctx: ctx, codec: codec, cookies: newLoginCookies(a.sessions.secure),
			issuer:       repl.ReplaceKnown(oc.Issuer, ""), // as the provider spells it: go-oidc compares exactly
			clientSecret: repl.ReplaceKnown(oc.ClientSecret, ""),
			client:       newProviderClient(time.Duration(oc.Timeout)),
			callbackURLs: callbacks,
			limits:       newOIDCLimits(oc),
		}
		if oc.ClientSecret != "" && p.clientSecret == "" {
			return fmt.Errorf("oidc %s: client_secret is empty once expanded (missing file or variable?)", oc.Name)
		}
		a.oidc[oc.Name] = p
		if err := a.registerCallbacks(p); err != nil {
			return err
		}
		a.cleanups = append(a.cleanups, p.close)
		p.startDiscovery()
	}
	a.registerEndpoint("login", serveLogin)
	a.registerEndpoint("backchannel-logout", serveBackchannelLogout)
	return nil
}

// atCallback reports whether r's original path is an oidc callback.
func (h *Handler) atCallback(r *http.Request) bool {
	_, ok := h.app.callbacks[originalURL(r).Path]
	return ok
}

// subject builds the canonical subject of a provider's "sub".
func (p *oidcProvider) subject(sub string) string {
	return strings.ReplaceAll(p.cfg.SubjectTemplate, "{sub}", sub)
}

// sessionClaims picks the claims a login copies into the session.
func (p *oidcProvider) sessionClaims(all map[string]any) map[string]any {
	out := make(map[string]any, len(all))
	for k, v := range all {
		if oidcProtocolClaims[k] || len(p.cfg.Claims) > 0 && !slices.Contains(p.cfg.Claims, k) {
			continue
		}
		out[k] = v
	}
	return out
}
