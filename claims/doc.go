// Package claims holds the rules for claim values that the policy, the
// claim sources and the forwarded headers all share: finding a value by
// its claim path (Lookup), reading SuperTokens {"v","t"} values (Unwrap,
// FetchedAt), comparing decoded JSON type-exactly with exact numbers
// (Equal), reading Caddyfile operands (ParseLiteral), and the one-to-one
// encoding of values for headers (FormatHeaderValue, FormatHeaderJSON,
// EscapeHeaderString).
//
// It is a leaf: it imports no package of the module but internal/jsonnum,
// and no Caddy or zap. It never logs and holds no state.
package claims
