// Package explain answers "why was this request refused?": it traces how
// an authgate route would decide one described request, without side
// effects. It walks the HTTP app's routes and matchers to find the
// authgate handler a request reaches (executing no handler), reads the
// credential the route would read, verifies it in a dry run
// (verifier.WithDryRun: no session touch, no cache fill, no claim
// write-back, no introspection or claim-source call unless fetch is asked
// for), evaluates the policy with policy.Explain, and records the status,
// body and identity headers the handler would answer with.
//
// It serves `POST /authgate/explain` on the admin endpoint (Admin), runs
// offline from a configuration file without starting servers (Offline),
// and renders a Trace as text for `caddy authgate explain`. A Trace never
// holds a credential, cookie value or secret: credentials appear as a
// length and a short SHA-256 prefix.
//
// It is Caddy glue below caddymodule: it may import Caddy and the domain
// packages, and never imports caddymodule itself, which hands it each
// handler's parts through Route (the Explainable interface).
package explain
