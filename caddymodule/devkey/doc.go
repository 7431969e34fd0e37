// Package devkey owns development mode: the Ed25519 dev key kept in
// Caddy's storage (created on first use), the configuration of the
// built-in "dev" verifier that trusts it, and the tokens `caddy authgate
// mint` signs with it. The dev issuer is deliberately not a URL so it can
// never be confused with a real identity provider.
//
// It never imports caddymodule.
package devkey
