package config

import "github.com/caddyserver/caddy/v2"

// IntrospectConfig declares a remote session check: an introspection
// verifier for opaque tokens (session cookies of Stytch, Ory Kratos, an
// OAuth2 server…), which jwt blocks may also name in `recheck` to confirm
// their older tokens remotely.
type IntrospectConfig struct {
	// Name identifies the verifier in `verifiers` lists and `recheck`.
	// Required.
	Name string `json:"name,omitempty"`

	// URL is the session or introspection endpoint (http or https).
	// Placeholders such as {env.*} are expanded at provision time. Required.
	URL string `json:"url,omitempty"`

	// Mode is the protocol. "json" posts {"<token_field>": token} (or
	// forwards the credential, see Forward) and reads the answer through
	// the *_path settings: 2xx is a valid session, 401/403 an inactive one.
	// "rfc7662" posts the form token=… and reads active, sub, exp and iss;
	// every other member becomes a claim. Default: json.
	Mode string `json:"mode,omitempty"`

	// Method is GET or POST. Default: POST, or GET when Forward is set.
	Method string `json:"method,omitempty"`

	// Forward sends the credential in this cookie or header (with its
	// scheme) instead of a body, like a whoami call. json mode only.
	Forward *SourceConfig `json:"forward,omitempty"`

	// InactiveStatus lists the HTTP statuses that mean "no such session"
	// in json mode; other non-2xx statuses are failures (503). Stytch
	// answers 404 session_not_found. Default: 401 403.
	InactiveStatus []int `json:"inactive_status,omitempty"`

	// TokenField is the member of the JSON body that carries the token
	// (Stytch: session_token, or session_jwt for re-checks). Default: token.
	TokenField string `json:"token_field,omitempty"`

	// From lists where credentials for this verifier are read, tried in
	// order. Default: none, unlike jwt blocks: an introspect block without
	// `from` is used only by `recheck` and never sends a credential of its
	// own accord.
	From []SourceConfig `json:"from,omitempty"`

	// SubjectPath is where the subject sits in a json answer (dotted path);
	// a 2xx answer without a non-empty string there is inactive.
	// Default: sub.
	SubjectPath string `json:"subject_path,omitempty"`

	// SubjectTemplate builds the canonical subject from the answer's
	// subject, as on jwt blocks. Re-checks compare the answer's own
	// subject with the JWT's sub, untouched by it. Default: {sub}.
	SubjectTemplate string `json:"subject_template,omitempty"`

	// SameSubjects names the other verifiers that front the same user
	// base, as on jwt blocks. Default: none.
	SameSubjects []string `json:"same_subjects,omitempty"`

	// ClaimsPath names an object in a json answer whose members become
	// claims. Default: none (the only claim is sub).
	ClaimsPath string `json:"claims_path,omitempty"`

	// ExpiresPath is where the session's expiry sits in a json answer, as
	// RFC 3339 or unix seconds. Default: none.
	ExpiresPath string `json:"expires_path,omitempty"`

	// IssuedAtPath is where the token's issue time sits in the answer, as
	// RFC 3339 or unix seconds (rfc7662: iat). A block named in the session
	// block's exchange list needs it, so that exchange_max_age applies to
	// its tokens. Default: none.
	IssuedAtPath string `json:"iat_path,omitempty"`

	// ClientID and ClientSecret authenticate the gateway with HTTP Basic
	// (RFC 7662 section 2.1; a Stytch project id and secret in json mode).
	// Placeholders such as {env.*} and {file.*} are expanded at provision
	// time.
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`

	// CacheTTL is how long an active answer is reused, never beyond the
	// expiry the answer reports. 0 asks every time. Default: 30s.
	CacheTTL *caddy.Duration `json:"cache_ttl,omitempty"`

	// NegativeCacheTTL is how long an inactive answer is reused. 0 never
	// caches one. Failures are never cached. Default: 5s.
	NegativeCacheTTL *caddy.Duration `json:"negative_cache_ttl,omitempty"`

	// AllowBoundTokens accepts, in rfc7662 mode, tokens the answer reports
	// as sender-constrained (cnf, or token_type DPoP: RFC 8705, RFC 9449)
	// as plain bearer tokens. Only for an authorization server whose
	// clients send no proofs anyway. Default: false (such tokens get 401
	// unsupported_binding).
	AllowBoundTokens bool `json:"allow_bound_tokens,omitempty"`

	// Timeout bounds each call, waiting for a free slot included.
	// Default: 2s.
	Timeout caddy.Duration `json:"timeout,omitempty"`

	// MaxBodyBytes caps the answer's body, in bytes. Default: 262144.
	MaxBodyBytes int64 `json:"max_body_size,omitempty"`

	// MaxConcurrent caps the calls in flight at once. Default: 64.
	MaxConcurrent int `json:"max_concurrent,omitempty"`

	// RateLimit caps the calls started per second, with bursts of as many.
	// Default: 100.
	RateLimit int `json:"rate_limit,omitempty"`

	// CacheBytes bounds this verifier's answer cache, in bytes.
	// Default: 16777216.
	CacheBytes int64 `json:"cache_size,omitempty"`

	// TokenPattern is a regular expression (RE2) a credential must match
	// in full to be sent to the service; others are refused as malformed
	// without a call. Re-checks of verified JWTs skip it. Default: none.
	TokenPattern string `json:"token_pattern,omitempty"`

	// MinTokenBytes and MaxTokenBytes bound a credential's length in
	// bytes; a shorter one is malformed, a longer one too_large, both
	// without a call. Defaults: 8, and the app's max_token_size.
	MinTokenBytes int `json:"min_token_length,omitempty"`
	MaxTokenBytes int `json:"max_token_length,omitempty"`

	// ClientRateLimit is each client's budget of calls per second (per IP
	// as Caddy resolves it, honouring trusted_proxies; IPv6 per /64). A
	// call that finds an active session is given back, so only junk and
	// dead tokens spend it; a client over its budget gets 429 rate_limited
	// with Retry-After. -1 turns it off. Default: rate_limit/10, at least 1.
	ClientRateLimit int `json:"client_rate_limit,omitempty"`

	// ClientBurst is how many calls a client may spend at once.
	// Default: twice client_rate_limit.
	ClientBurst int `json:"client_burst,omitempty"`
}
