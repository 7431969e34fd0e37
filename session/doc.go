// Package session implements gateway-issued edge sessions: opaque 256-bit
// tokens carried in a cookie, backed by a Store that keeps only their
// SHA-256, with sliding idle expiry, an absolute lifetime, a per-user cap,
// revocation, and a deny-list for identity-provider JWTs.
//
// The flow is Store (persistence: boltstore, redisstore) → Manager (policy:
// expiry, touches, caps, a short in-process cache invalidated by the
// store's events) → Verifier (verifier.Verifier over the session cookie).
// A Store is three small interfaces, one per consumer: Records (sessions),
// DenyStore (the deny-list) and Markers (one-time markers and links for
// token exchange and OIDC login). Code outside this package reaches the
// store only through Manager's methods. sessiontest holds the conformance
// suite every Store must pass.
//
// A Manager reports its store calls and revocations to an Observer, when
// given one, with fixed codes only.
//
// It depends on package verifier (for Identity and the rejection reasons);
// verifier never imports it. Like verifier, it imports neither Caddy nor
// zap.
package session
