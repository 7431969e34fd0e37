package config

import (
	"encoding/json"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/forward"
)

// JWTConfig configures one JWT verifier: tokens of one issuer, checked
// against that issuer's keys only.
type JWTConfig struct {
	// Name identifies the verifier in `verifiers` lists and caches. Required.
	Name string `json:"name,omitempty"`

	// Issuer is the exact "iss" value tokens must carry. Required.
	// Placeholders such as {env.*} are expanded at provision time.
	Issuer string `json:"issuer,omitempty"`

	// Audience lists accepted "aud" values; any match passes. Required: write
	// the single value "any" to skip the audience check explicitly.
	Audience []string `json:"audience,omitempty"`

	// JWKSURL is the issuer's JSON Web Key Set, refreshed in the background.
	// Placeholders are expanded at provision time.
	JWKSURL string `json:"jwks_url,omitempty"`

	// KeyFiles are PEM files holding public keys (RSA, EC or Ed25519).
	KeyFiles []string `json:"key_files,omitempty"`

	// SecretFile holds a shared HMAC secret. HS256/384/512 are only allowed
	// with it, and it cannot be combined with public keys.
	SecretFile string `json:"secret_file,omitempty"`

	// Algorithms is the allow-list of "alg" values. Default: the asymmetric
	// algorithms that fit the configured keys (all of RS*, PS*, ES*, EdDSA
	// for a JWKS URL), or for a secret file the HMAC algorithms the secret
	// is long enough for (HS256 from 32 bytes, HS384 from 48, HS512 from
	// 64). "none" is never accepted.
	Algorithms []string `json:"algorithms,omitempty"`

	// Types is the allow-list of "typ" headers, compared case-insensitively.
	// Default: absent, "JWT" and "at+jwt".
	Types []string `json:"types,omitempty"`

	// Leeway is the clock skew allowed for exp, nbf and iat. Default: 0.
	Leeway caddy.Duration `json:"leeway,omitempty"`

	// MaxAge rejects tokens whose "iat" is older (reason too_old); tokens
	// without "iat" are then too_old too. Default: off.
	MaxAge caddy.Duration `json:"max_age,omitempty"`

	// Recheck names an introspect verifier that confirms tokens older than
	// MaxAge (every token when MaxAge is 0) instead of refusing them as
	// too_old; younger tokens are verified locally without any remote call.
	// The JWT itself is sent and the answer must carry the token's sub.
	// Default: none.
	Recheck string `json:"recheck,omitempty"`

	// RecheckExpired also sends expired tokens whose signature and other
	// claims are valid to Recheck. Default: false.
	RecheckExpired bool `json:"recheck_expired,omitempty"`

	// From lists where credentials are read, tried in order. Default: the
	// Authorization header with the Bearer scheme.
	From []SourceConfig `json:"from,omitempty"`

	// SubjectTemplate builds the canonical subject from "sub", for example
	// "user:{sub}". Two identity-producing verifiers whose templates can
	// yield the same subject are a configuration error unless they name
	// each other in SameSubjects. Default: "{sub}".
	SubjectTemplate string `json:"subject_template,omitempty"`

	// SameSubjects names the other verifiers (jwt, oidc or introspect
	// blocks) that front the same user base, so their subjects may
	// coincide with this one's; each must name this one back.
	// Default: none.
	SameSubjects []string `json:"same_subjects,omitempty"`

	// CacheTTL bounds how long a verified token is served from the identity
	// cache. The cache never outlives the token's exp or iat+max_age.
	// Default: 0 (bounded by the token alone).
	CacheTTL caddy.Duration `json:"cache_ttl,omitempty"`

	// JWKSRefreshInterval is how often the key set is refreshed in the
	// background. Default: 1h.
	JWKSRefreshInterval caddy.Duration `json:"jwks_refresh_interval,omitempty"`

	// JWKSTimeout bounds each key set fetch. Default: 5s.
	JWKSTimeout caddy.Duration `json:"jwks_timeout,omitempty"`

	// UnknownKIDBurst is how many key set refreshes unknown "kid" values
	// may cause at once; the bucket refills one per UnknownKIDRefill. Any
	// refresh loads a rotated key, so junk kids keep it out for at most one
	// refill interval. Default: 3.
	UnknownKIDBurst int `json:"unknown_kid_burst,omitempty"`

	// UnknownKIDRefill is the time to earn one more unknown-kid refresh.
	// Default: 5s.
	UnknownKIDRefill caddy.Duration `json:"unknown_kid_refill,omitempty"`

	// UnknownKIDCooldown is the deprecated name of UnknownKIDRefill, used
	// when that is unset (the single cooldown became a token bucket).
	UnknownKIDCooldown caddy.Duration `json:"unknown_kid_cooldown,omitempty"`

	// AllowBoundTokens accepts tokens carrying a "cnf" claim (DPoP, RFC
	// 9449; mTLS-bound, RFC 8705) as plain bearer tokens, although the
	// gateway cannot check the proof of possession they require. Default:
	// false (such tokens get 401 unsupported_binding).
	AllowBoundTokens bool `json:"allow_bound_tokens,omitempty"`

	recheckAt string // Caddyfile file:line of the recheck line; adapt time only
}

// SourceConfig names one place a credential is read from. Exactly one of
// Header and Cookie is set.
type SourceConfig struct {
	// Header is a request header name.
	Header string `json:"header,omitempty"`
	// Scheme is the authentication scheme before the token in Header, such
	// as "Bearer". Empty means the whole header value is the token.
	Scheme string `json:"scheme,omitempty"`
	// Cookie is a cookie name.
	Cookie string `json:"cookie,omitempty"`
}

// HeaderConfig maps an identity value to a request header set upstream.
type HeaderConfig struct {
	// Name is the header name.
	Name string `json:"name,omitempty"`
	// Value is a template of literal text and {sub}, {claims.PATH},
	// {session.id} and the session object's fields ({session.started_at},
	// {session.amr}, …; see docs/sessions.md). Arrays are joined with ",";
	// unsafe characters are percent-encoded.
	Value string `json:"value,omitempty"`
	// JSON forwards a single {claims.PATH} value JSON-encoded instead.
	JSON bool `json:"json,omitempty"`
}

// defaultHeaders is the header set forwarded when none is configured.
func defaultHeaders() []HeaderConfig {
	var out []HeaderConfig
	for _, s := range forward.Defaults() {
		out = append(out, HeaderConfig{Name: s.Name, Value: s.Value, JSON: s.JSON})
	}
	return out
}

// RequireConfig is one claim validator.
type RequireConfig struct {
	// ID names the validator in 403 bodies, skip_global and on_failure.
	// Default: the claim path as written, or "permission:P".
	ID string `json:"id,omitempty"`
	// Claim is the claim path (dotted; namespaced keys need no escaping).
	Claim string `json:"claim,omitempty"`
	// Op is one of has_value, is_true, is_false, includes, excludes,
	// includes_all, excludes_all, exists, one_of, permission, starts_with,
	// ends_with, matches (an RE2 pattern the whole value must match) and
	// in_domain (the domain of an e-mail address).
	Op string `json:"op,omitempty"`
	// Values are the operands as JSON values.
	Values []json.RawMessage `json:"values,omitempty"`
	// ValuesText are further operands, each JSON text in a string. Numbers
	// keep every digit here: Caddy's Caddyfile adapter decodes handler JSON
	// with float64, which would turn 1234567890123456789 in Values into
	// 1234567890123456800, so the Caddyfile writes an operand list holding
	// such a number here instead.
	ValuesText []string `json:"values_text,omitempty"`
	// MaxAge makes the validator refetch (or fail as expired) values older
	// than this. 0 means every request. Default: the claim source's.
	MaxAge *caddy.Duration `json:"max_age,omitempty"`
	// Subdomains makes in_domain pass subdomains of its domain too. Only
	// for in_domain. Default: false, the exact domain only.
	Subdomains bool `json:"subdomains,omitempty"`
}

// OnFailureConfig says what a validator's failure does instead of the 403:
// a redirect, or pass mode. Exactly one of Redirect and Pass is set.
type OnFailureConfig struct {
	// ID is the validator id.
	ID string `json:"id,omitempty"`
	// Redirect is a same-origin path ("/not-an-admin") or an absolute URL
	// whose origin is in the handler's redirect allow-list.
	Redirect string `json:"redirect,omitempty"`
	// Pass lets the request through when this validator fails and no
	// validator outside pass mode fails; the failures go upstream in
	// X-Auth-Claim-Errors. Never for a 401 or 503. Caddyfile:
	// `on_failure <id> pass`. Default: false.
	Pass bool `json:"pass,omitempty"`
}
