package config

import (
	"net/http"

	"github.com/caddyserver/caddy/v2"
)

// ClaimConfig declares a claim source: where the current
// value of a claim is fetched when a validator finds it missing or older
// than its max age. Fetched values are cached per (verifier, subject,
// claim) and replace the credential's value in policy, forwarded headers
// and placeholders.
type ClaimConfig struct {
	// Name is the top-level claim the source refreshes. Validators on it,
	// or on paths inside it, use the source. It cannot be a registered JWT
	// claim (sub, iss, aud, exp, nbf, iat, jti). Required.
	Name string `json:"name,omitempty"`

	// Fetch is the URL template to GET, http or https. Request-time
	// placeholders {sub}, {session.id} and {claims.PATH} may appear in the
	// path and query only; each value is escaped for its position, and a
	// value that would make an empty, "." or ".." segment fails the
	// request (503) without a call. Redirects are not followed. Caddy
	// placeholders such as {env.*} are expanded once at provision time.
	// Required.
	Fetch string `json:"fetch,omitempty"`

	// Path is where the value sits in the JSON answer (a claim path, such
	// as "roles" or "user.roles"). A 2xx answer without a value there is
	// a failure. Default: the whole body is the value.
	Path string `json:"path,omitempty"`

	// MaxAge is the default freshness for validators on this claim that
	// set no max_age of their own, and how long fetched values are cached.
	// 0 means every request. Default: 5m.
	MaxAge *caddy.Duration `json:"max_age,omitempty"`

	// Timeout bounds one fetch, including the wait for a free fetch slot
	// and a slowly sent body. Default: 2s.
	Timeout caddy.Duration `json:"timeout,omitempty"`

	// StaleIfError is a grace after max age: while the source fails, a
	// value younger than max age plus this grace (cached, or the
	// credential's own) is used. Without one, the request fails closed
	// with 503. Default: 0 (no grace).
	StaleIfError caddy.Duration `json:"stale_if_error,omitempty"`

	// Headers are sent with every fetch, for example an API key. Values
	// accept {env.*} and {file.*}, expanded at provision time. Accept
	// defaults to application/json.
	Headers http.Header `json:"headers,omitempty"`

	// MaxBodyBytes caps the answer's body, in bytes; a longer body is a
	// failure. Default: 1048576 (1 MiB).
	MaxBodyBytes int64 `json:"max_body_size,omitempty"`
}
