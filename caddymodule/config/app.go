package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
)

// App is the JSON configuration of the authgate app: what every authgate
// route shares. The Caddyfile writes it as the global option block
// `authgate { … }` (see caddyfile_global.go).
type App struct {
	// JWT lists the JWT verifiers, one per issuer.
	JWT []*JWTConfig `json:"jwt,omitempty"`

	// Dev turns on development mode: a built-in verifier named "dev" trusts
	// tokens of issuer "authgate-dev" signed by a key kept in Caddy's
	// storage, which `caddy authgate mint` uses. Never use it in production;
	// a warning is logged at every start.
	Dev bool `json:"dev,omitempty"`

	// Headers maps identity values to upstream request headers. Explicit
	// mappings replace the default set (X-Auth-User-Id {sub}, X-Auth-Email
	// {claims.email}, X-Auth-Roles {claims.roles}, X-Auth-Session-Id
	// {session.id}).
	Headers []HeaderConfig `json:"headers,omitempty"`

	// Roles maps role names to the permissions they grant, for
	// `require permission P`.
	Roles map[string][]string `json:"roles,omitempty"`

	// RolesClaim is the claim path holding a subject's roles. Default: roles.
	RolesClaim string `json:"roles_claim,omitempty"`

	// Require lists global validators, run on every authgate route unless a
	// route skips them by id.
	Require []RequireConfig `json:"require,omitempty"`

	// Checks declares the named checks a front end may ask about at the
	// check endpoint (GET /.authgate/check?check=NAME): by name, a list of
	// validators written like a route's require lines.
	Checks map[string][]RequireConfig `json:"checks,omitempty"`

	// CheckLimit is each subject's budget of questions to the check
	// endpoint; a batch spends one per question. Default: 120 per 1m.
	CheckLimit *RateLimit `json:"check_limit,omitempty"`

	// MaxTokenBytes caps a credential's length in bytes; longer ones are
	// refused unparsed (reason too_large). Default: 8192.
	MaxTokenBytes int `json:"max_token_size,omitempty"`

	// MaxClaims caps the number of members in a token's claims. Default: 256.
	MaxClaims int `json:"max_claims,omitempty"`

	// MaxClaimDepth caps the nesting depth of a token's claims. Default: 16.
	MaxClaimDepth int `json:"max_claim_depth,omitempty"`

	// CacheBytes bounds the verified-identity cache, in bytes. Default: 64 MiB.
	CacheBytes int64 `json:"cache_size,omitempty"`

	// AssertionKeyFile is a PEM private key (EC P-256, RSA or Ed25519) that
	// signs assertions (`header NAME assertion`). Default: an EC P-256 key
	// kept in Caddy's storage, shared by instances that share storage.
	AssertionKeyFile string `json:"assertion_key_file,omitempty"`

	// AssertionIssuer is the "iss" of assertions. Default: authgate.
	AssertionIssuer string `json:"assertion_issuer,omitempty"`

	// AssertionTTL is the lifetime of an assertion (never beyond the
	// credential's expiry). Default: 1m.
	AssertionTTL caddy.Duration `json:"assertion_ttl,omitempty"`

	// EndpointPrefix is the path prefix of the gateway's own endpoints
	// (session exchange, logout, JWKS), matched on the original request path
	// before any rewrite. Default: /.authgate/.
	EndpointPrefix string `json:"endpoint_prefix,omitempty"`

	// Claims declares claim sources that stale claims are refreshed from
	// (see claim.go).
	Claims []*ClaimConfig `json:"claims,omitempty"`

	// Introspect declares remote session checks for opaque tokens and JWT
	// re-checks (see introspect.go).
	Introspect []*IntrospectConfig `json:"introspect,omitempty"`

	// Session configures gateway-issued edge sessions (see session.go).
	// Default with oidc blocks: sessions with the default settings.
	Session *SessionConfig `json:"session,omitempty"`

	// OIDC declares OpenID Connect providers for browser login (see
	// oidc.go).
	OIDC []*OIDCConfig `json:"oidc,omitempty"`

	// Ready lists what readiness checks besides the app running: "jwks"
	// (every jwks_url verifier holds keys), "store" (the session store
	// answers a ping within a second) and "oidc" (every oidc provider's
	// discovery is done). Each couples readiness to a remote service, so an
	// outage of it makes every instance unready at once. Default: none.
	Ready []string `json:"ready,omitempty"`

	positions map[string]string // Caddyfile file:line by "kind name"; adapt time only
}

// SetDefaults fills in the defaults of the app's own settings (the
// blocks' defaults are applied when they are provisioned).
func (a *App) SetDefaults() {
	if a.MaxTokenBytes <= 0 {
		a.MaxTokenBytes = 8 << 10
	}
	if a.MaxClaims <= 0 {
		a.MaxClaims = 256
	}
	if a.MaxClaimDepth <= 0 {
		a.MaxClaimDepth = 16
	}
	if a.CacheBytes <= 0 {
		a.CacheBytes = 64 << 20
	}
	if a.EndpointPrefix == "" {
		a.EndpointPrefix = "/.authgate/"
	}
	if !strings.HasSuffix(a.EndpointPrefix, "/") {
		a.EndpointPrefix += "/"
	}
	if a.RolesClaim == "" {
		a.RolesClaim = "roles"
	}
	if a.AssertionIssuer == "" {
		a.AssertionIssuer = "authgate"
	}
	if a.AssertionTTL <= 0 {
		a.AssertionTTL = caddy.Duration(time.Minute)
	}
	if len(a.Headers) == 0 {
		a.Headers = defaultHeaders()
	}
	if a.CheckLimit == nil {
		a.CheckLimit = &RateLimit{Events: 120, Window: caddy.Duration(time.Minute)}
	}
	if len(a.OIDC) > 0 && a.Session == nil {
		a.Session = &SessionConfig{} // logins end in an edge session
	}
}

// Validate checks the configuration.
func (a *App) Validate() error {
	for name := range a.Roles {
		if strings.TrimSpace(name) == "" {
			return fmt.Errorf("role with empty name")
		}
	}
	if l := a.CheckLimit; l != nil && (l.Events < 1 || l.Window <= 0) {
		return fmt.Errorf("check_limit needs a positive count and window")
	}
	for _, c := range a.Ready {
		if !slices.Contains(ReadyChecks, c) {
			return fmt.Errorf("unknown readiness check %q: want %s", c, strings.Join(ReadyChecks, ", "))
		}
	}
	return nil
}

// Positions returns where each verifier block starts in the Caddyfile
// ("file:line" by "kind name"), for configuration errors found once the
// whole block is read. It is empty for JSON configurations.
func (a *App) Positions() map[string]string { return a.positions }

// notePosition records where a verifier block starts in the Caddyfile.
// Verifier names (dev, jwt and introspect blocks) share one namespace: a
// name given twice is refused here, naming both places.
func (a *App) notePosition(pos, kind, name string) error {
	if a.positions == nil {
		a.positions = map[string]string{}
	}
	if _, again := a.positions[kind+" "+name]; again && kind == DevVerifierName {
		return nil // dev given twice is still dev
	}
	if kind != "oidc" {
		for _, k := range []string{DevVerifierName, "jwt", "introspect"} {
			if first, dup := a.positions[k+" "+name]; dup {
				return errAt(pos, "verifier name %q is used twice (%s block first, at %s)", name, k, first)
			}
		}
	}
	a.positions[kind+" "+name] = pos
	return nil
}

// DevVerifierName is the name of the built-in verifier of development
// mode (`dev`), in `verifiers` lists and messages.
const DevVerifierName = "dev"
