package oidclogin

import (
	"net/url"
	"time"
)

// Config is one provider (an oidc block), with defaults applied and
// placeholders expanded by the caller.
type Config struct {
	// Name identifies the provider (`login oidc NAME`).
	Name string
	// Issuer is the issuer URL exactly as the provider spells it.
	Issuer string
	// ClientID is the client registered at the provider.
	ClientID string
	// ClientSecret is the client's secret; "" for a public client.
	ClientSecret string
	// Scopes are requested at login; they include openid.
	Scopes []string
	// CallbackURLs are the redirect URIs registered at the provider, by
	// lowercased host (port included). A login uses the one of its Host.
	CallbackURLs map[string]*url.URL
	// Claims names the claims copied into the session; none: all but the
	// protocol claims.
	Claims []string
	// Userinfo adds the userinfo endpoint's claims at login.
	Userinfo bool
	// SubjectTemplate builds the canonical subject; it contains {sub}.
	SubjectTemplate string
	// LoginTimeout is how long a user may take at the provider.
	LoginTimeout time.Duration
	// Timeout bounds each call to the provider.
	Timeout time.Duration
	// LoginLimit is each client's budget of login starts.
	LoginLimit Limit
	// FailureLimit is each client's budget of failed callbacks.
	FailureLimit Limit
}

// Limit is a per-client budget: Events per Window, any of them at once.
type Limit struct {
	// Events is how many the budget holds.
	Events int
	// Window is how long the budget takes to refill.
	Window time.Duration
}

// Options are the settings every provider of a Set shares.
type Options struct {
	// EndpointPrefix is the path prefix of the gateway's endpoints, such
	// as /.authgate/ (the login endpoint is EndpointPrefix+"login").
	EndpointPrefix string
	// InsecureCookies drops Secure (and the __Host- prefix) from the
	// login-state cookies, as insecure_cookie does for sessions.
	InsecureCookies bool
	// MaxTokenBytes caps ID and logout tokens.
	MaxTokenBytes int
	// MaxClaims and MaxClaimDepth cap the claims a login brings.
	MaxClaims, MaxClaimDepth int
	// ExchangeMaxAge is how old (by iat) an ID token may be.
	ExchangeMaxAge time.Duration
}

// protocolClaims describe the login, not the user: they are never
// copied into a session (sid is kept apart, for back-channel logout).
// _claim_names and _claim_sources (distributed claims) may hold access
// tokens of other services.
var protocolClaims = map[string]bool{
	"nonce": true, "at_hash": true, "c_hash": true, "azp": true, "sid": true, "s_hash": true,
	"_claim_names": true, "_claim_sources": true,
}
