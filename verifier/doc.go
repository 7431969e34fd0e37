// Package verifier turns credentials into verified identities.
//
// A request's credential (a bearer token, a cookie) is described by a
// Credential; a Verifier checks it and returns an Identity whose claims can be
// trusted. Verifiers report three kinds of outcome, and callers branch on them
// with errors.Is and errors.As:
//
//   - ErrNotResponsible: the credential is not for this verifier; try another.
//   - *RejectedError: the credential is for this verifier and is invalid
//     (expired, bad signature, revoked, …). It carries a stable Reason code.
//     Being unauthenticated is a result, not a technical failure.
//   - *UnavailableError: the verifier could not decide because something it
//     depends on (a key source, a store) failed. Callers must fail closed.
//
// The pieces:
//
//   - JWTVerifier checks tokens of one issuer (RFC 8725 rules: an explicit
//     algorithm allow-list, typ allow-list, no crit, exp required, issuer and
//     audience checks, optional max age and remote re-check); JWTRouter
//     parses a token once and hands it to the verifier of its "iss".
//   - KeySource implementations: RemoteKeySource (a JWKS endpoint refreshed
//     in the background, rate-limited refresh on unknown kids, last good keys
//     kept while the endpoint is down) and StaticKeySource (PEM keys or an
//     HMAC secret).
//   - Cached puts a verifier behind an IdentityCache keyed by a SHA-256 of
//     the token, never past the identity's ValidUntil, with the DenyList
//     consulted on every hit.
//   - IntrospectVerifier checks opaque tokens remotely (RFC 7662 or a JSON session
//     endpoint); Chain tries verifiers in order.
//
// The package knows nothing of Caddy or HTTP responses; it never logs. What
// it does (verifications, cache evictions, key-set fetches, introspection
// calls) is reported to an Observer, when given one, with fixed codes only.
package verifier
