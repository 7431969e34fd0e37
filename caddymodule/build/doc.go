// Package build turns the declarative configuration of package config into
// the domain objects the authgate app runs: credential sources, policies
// and identity header specs, the configurations of JWT and introspection
// verifiers with their key sources, claim sources and OIDC logins. Caddy
// placeholders ({env.*}, {file.*}) in configured values are expanded here,
// once, at provision time.
//
// It takes configuration and injected dependencies (a Caddy context for
// its storage, a logger) and returns values; it holds no app state and
// never imports caddymodule.
package build
