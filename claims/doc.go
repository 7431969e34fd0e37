// Package claims holds the rules for claim values that the policy, the
// claim sources and the forwarded headers all share: finding a value by
// its claim path (Lookup), reading SuperTokens {"v","t"} values (Unwrap,
// FetchedAt), comparing decoded JSON type-exactly with exact numbers
// (Equal), reading Caddyfile operands (ParseLiteral), and the one-to-one
// encoding of values for headers (FormatHeaderValue, FormatHeaderJSON,
// EscapeHeaderString), and the string rules of the matching validators:
// anchored, size-limited RE2 patterns (CompilePattern) and e-mail domains
// (EmailDomain, NormalizeDomain, InDomain), which the policy applies per
// request and the Caddyfile parser checks at load so errors carry file:line.
//
// It is a leaf: it imports no package of the module but internal/jsonnum,
// and no Caddy or zap (golang.org/x/net/idna for domain names). It never
// logs and holds no state.
package claims
