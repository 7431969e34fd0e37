package verifier

import (
	"maps"
	"time"
)

// Identity is the result of a successful verification: who the caller is and
// the claims that were verified. An Identity is immutable once produced;
// stages that change claims (such as claim refresh) derive a new one with
// WithClaim or Clone, so cached identities are never modified in place.
type Identity struct {
	// Verifier is the name of the verifier that produced the identity. Caches
	// of derived data (refreshed claims) are keyed by it together with Subject.
	Verifier string
	// Subject is the canonical subject: the verified "sub" after the
	// verifier's subject template.
	Subject string
	// Issuer is the verified "iss", if any.
	Issuer string
	// Audience holds the verified "aud" values, if any.
	Audience []string
	// TokenID is the "jti" of a JWT credential, if any.
	TokenID string
	// TokenDigest is the hex SHA-256 of a JWT credential's signing input
	// (header.payload), if any: the same for every signature encoding of
	// one token, so replay markers and deny-list entries keyed on it
	// cannot be dodged by rewriting the signature.
	TokenDigest string
	// SessionID identifies a gateway-issued session, if the credential was one.
	SessionID string
	// Session describes that session (its times, origin and methods);
	// nil when the credential was not a gateway session. Never encoded:
	// the record behind it holds the login's ID token.
	Session SessionFacts `json:"-"`
	// IssuedAt is the token's "iat" or the session's last refresh; zero when
	// unknown.
	IssuedAt time.Time
	// ExpiresAt is when the credential stops being valid; zero when unknown.
	ExpiresAt time.Time
	// ValidUntil is when this verification result must be checked again: the
	// earliest of ExpiresAt, IssuedAt+max_age and any other bound the
	// verifier knows. Caches never keep the identity past it. Zero means
	// ExpiresAt.
	ValidUntil time.Time
	// ClaimTimesTrusted is true when fetch times inside SuperTokens-shaped
	// claim values ({"v":…,"t":…}) were written by the gateway itself (edge
	// sessions). For tokens it is false: a value's age is then measured from
	// the earlier of its "t" and IssuedAt, so it never looks fresher than the
	// token that carries it.
	ClaimTimesTrusted bool
	// Claims are the verified claims as decoded from JSON (strings, float64,
	// bool, nil, []any, map[string]any). Treat as read-only.
	Claims map[string]any
}

// Claim returns the top-level claim name.
func (id *Identity) Claim(name string) (any, bool) {
	v, ok := id.Claims[name]
	return v, ok
}

// Clone returns a copy of id whose top-level claim map and audience slice can
// be changed without affecting id. Nested claim values are shared and must
// not be mutated.
func (id *Identity) Clone() *Identity {
	c := *id
	c.Claims = maps.Clone(id.Claims)
	if c.Claims == nil {
		c.Claims = map[string]any{}
	}
	c.Audience = append([]string(nil), id.Audience...)
	return &c
}

// WithClaim returns a copy of id with the top-level claim name set to value.
func (id *Identity) WithClaim(name string, value any) *Identity {
	c := id.Clone()
	c.Claims[name] = value
	return c
}
