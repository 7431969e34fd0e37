// Package config is the declarative side of authgate's Caddy modules: the
// structs that form the JSON API of the app "authgate" (App) and of the
// handler "http.handlers.authgate" (Handler), their Caddyfile parsing
// (the global `authgate { … }` block and the `authgate` directive), their
// defaults and their pure validation.
//
// It builds nothing: no provisioning, no pools, no verifiers, policies or
// other domain objects, no handlers. Package caddymodule embeds App and
// Handler in its modules, so these fields are the modules' JSON fields,
// and turns them into running objects at provision time.
//
// It may import Caddy's config types and the domain packages' constants
// and literal rules, never caddymodule.
package config
