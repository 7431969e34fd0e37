// Package caddymodule is the Caddy glue of authgate.
//
// It registers two modules:
//
//   - the app "authgate", configured by the global option block
//     `authgate { … }`, which holds what routes share: verifiers and their key
//     sources, the verified-identity cache, global validators, role
//     definitions and identity header mappings;
//   - the HTTP handler "http.handlers.authgate", Caddyfile directive
//     `authgate`, which enforces a route's policy. It orders itself before
//     `request_header`, so no `order` line is needed.
//
// Both modules embed their configuration from package config (the JSON
// fields, the Caddyfile syntax, defaults and pure validation); this package
// provisions it into running objects.
//
// A request flows one way through the handler:
//
//	strip → extract → verify (cached) → refresh+evaluate → forward → next
//
// Stripping, header forwarding and the trailer guard live in package
// forward, credential extraction in verifier/credential, the path firewall
// in internal/firewall; this package sequences them.
//
// On success the handler sets the placeholders {http.auth.user.id},
// {http.auth.user.<claim>} (top-level claims) and {http.auth.session.id}; on
// refusal it sets {http.auth.error.status} and {http.auth.error.reason} and
// writes the response itself (see respond.go).
package caddymodule
