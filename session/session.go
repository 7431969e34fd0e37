package session

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// TokenLen is the length of a session token: TokenPrefix, then 32 random
// bytes in unpadded base64url.
const TokenLen = len(TokenPrefix) + legacyTokenLen

// legacyTokenLen is the length of the tokens minted before TokenPrefix:
// the 32 random bytes alone.
const legacyTokenLen = 43

// Sentinel errors. Compare with errors.Is.
var (
	// ErrNotFound means the store holds no such session (never created,
	// revoked, or purged after expiry).
	ErrNotFound = errors.New("session not found")
	// ErrReservedClaim means a custom claim used a registered JWT claim
	// name; those describe the session itself and cannot be set.
	ErrReservedClaim = errors.New("reserved claim name")
	// ErrNoClaim means the session holds no claim of that name. It is an
	// ErrNotFound too.
	ErrNoClaim error = notFoundError("claim not found")
)

// notFoundError is an error that is also an ErrNotFound.
type notFoundError string

func (e notFoundError) Error() string        { return string(e) }
func (e notFoundError) Is(target error) bool { return target == ErrNotFound }

// reserved are the JWT claims (RFC 7519 section 4.1) a session's custom
// claims may not set, as in Stytch's session_custom_claims.
var reserved = map[string]bool{"sub": true, "iss": true, "aud": true, "exp": true, "nbf": true, "iat": true, "jti": true}

// IsReserved reports whether name is a registered claim that custom claims
// cannot set.
func IsReserved(name string) bool { return reserved[name] }

// Hash is the SHA-256 of a session token: all a store ever keeps of it.
type Hash [sha256.Size]byte

// HashToken returns the store key of token.
func HashToken(token string) Hash { return sha256.Sum256([]byte(token)) }

// String returns the hash in hex; it is safe to log.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText encodes the hash as hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText decodes a hex hash.
func (h *Hash) UnmarshalText(b []byte) error {
	if len(b) != 2*len(h) {
		return fmt.Errorf("decoding token hash: want %d hex digits, got %d", 2*len(h), len(b))
	}
	_, err := hex.Decode(h[:], b)
	return err
}

// NewToken returns a fresh session token (TokenPrefix, then 256 bits from
// crypto/rand in base64url) and its hash.
func NewToken() (string, Hash) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	tok := TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return tok, HashToken(tok)
}

// newID returns a random session id. It is unrelated to the token, so
// showing ids (admin API, X-Auth-Session-Id) reveals nothing about tokens.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "ses_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// WellFormed reports whether token has the shape of a session token, so
// that garbage is refused without a store lookup. Tokens minted before
// TokenPrefix existed have no prefix and stay valid until their session
// ends; the hash a store keeps covers the whole token, prefix included.
func WellFormed(token string) bool {
	token, _ = strings.CutPrefix(token, TokenPrefix)
	if len(token) != legacyTokenLen {
		return false
	}
	for i := 0; i < len(token); i++ {
		c := token[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Session is one edge session as stored. Times are UTC with millisecond
// precision (what the stores keep).
type Session struct {
	// ID identifies the session in the admin API and X-Auth-Session-Id.
	ID string `json:"id"`
	// TokenHash is the SHA-256 of the session token.
	TokenHash Hash `json:"token_hash"`
	// UserID is the canonical subject.
	UserID string `json:"user_id"`
	// Claims are the session's claims. Values may be SuperTokens-shaped
	// {"v": value, "t": unix ms} when the gateway knows their fetch time.
	Claims map[string]any `json:"claims,omitempty"`
	// Verifier names the verifier whose token the session was exchanged
	// for; empty for sessions created through the admin API.
	Verifier string `json:"verifier,omitempty"`
	// SourceJTI is the "jti" of that token, if any.
	SourceJTI string `json:"source_jti,omitempty"`
	// SourceKey is the deny-list key of that token (TokenKey), so that
	// denying the token ends the session; SourceExpires is the token's
	// exp, until which logout deny-lists it.
	SourceKey     string    `json:"source_key,omitempty"`
	SourceExpires time.Time `json:"source_expires,omitempty"`
	// Host binds the session to one site (bind_host); empty: any site.
	Host string `json:"host,omitempty"`
	// Provider names the oidc block whose login created the session; empty
	// for exchanged or admin-made sessions.
	Provider string `json:"provider,omitempty"`
	// ProviderSID is the identity provider's session id (the ID token's
	// "sid"), used by back-channel logout.
	ProviderSID string `json:"provider_sid,omitempty"`
	// IDToken is the raw ID token of the login, sent back as id_token_hint
	// at RP-initiated logout. No endpoint ever shows it.
	IDToken string `json:"id_token,omitempty"`
	// Created is when the session was minted.
	Created time.Time `json:"created"`
	// ClaimsAt is when the session's plain claim values were current: the
	// exchanged token's iat, or Created. Values without their own fetch
	// time are as old as this, never younger than the token they came in.
	ClaimsAt time.Time `json:"claims_at,omitempty"`
	// LastSeen is the last recorded use (recorded at most once per touch
	// interval).
	LastSeen time.Time `json:"last_seen"`
	// IdleExpires is when the session ends unless used again.
	IdleExpires time.Time `json:"idle_expires"`
	// Expires is the absolute end of the session.
	Expires time.Time `json:"expires"`
	// PurgeAt is when the store may forget the record. Until then an
	// expired session is reported as expired rather than unknown.
	PurgeAt time.Time `json:"purge_at"`
	// Factors are the authentications that went into the session, oldest
	// first (since format version 2; see AuthFactors for older records).
	Factors []Factor `json:"factors,omitempty"`
}

// ExpiresAt is when the session stops being valid: the earlier of its idle
// and absolute expiry.
func (s *Session) ExpiresAt() time.Time {
	if s.IdleExpires.Before(s.Expires) {
		return s.IdleExpires
	}
	return s.Expires
}

// Live reports whether the session is valid at now.
func (s *Session) Live(now time.Time) bool { return now.Before(s.ExpiresAt()) }

// Clone returns a copy whose claim map and factor list can be changed
// independently. Nested claim values and factor methods are shared.
func (s *Session) Clone() *Session {
	c := *s
	c.Claims = maps.Clone(s.Claims)
	c.Factors = slices.Clone(s.Factors)
	return &c
}

// ms truncates t to the millisecond precision stores keep.
func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
