// Package explain is the Caddy side of `caddy authgate explain`: it walks
// the HTTP app's routes and matchers to find the authgate handler a
// described request reaches (executing no handler), prepares the request
// as that server would, and hands the handler's parts (Explainable) to
// package explain, which traces the decision without side effects.
//
// It serves `POST /authgate/explain` on the admin endpoint (Admin) and
// runs offline from a configuration file without starting servers
// (Offline).
//
// It is Caddy glue below caddymodule: it may import Caddy and the domain
// packages, and never imports caddymodule itself, which hands it each
// handler's parts through Route (the Explainable interface).
package explain
