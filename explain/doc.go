// Package explain answers "why was this request refused?" for one
// authgate route, without side effects. Given a Route (the parts of one
// provisioned handler) and a described Request, Run reads the credential
// the route would read, verifies it in a dry run (verifier.WithDryRun: no
// session touch, no cache fill, no claim write-back, no introspection or
// claim-source call unless fetch is asked for), evaluates the policy with
// policy.Explain, and records in a Trace the status, body and identity
// headers the handler would answer with. Questions to the check endpoint
// are traced the same way.
//
// A Trace is JSON (the answer of POST /authgate/explain) or text
// (WriteText, for `caddy authgate explain`). It never holds a credential,
// cookie value or secret: credentials appear as a length and a short
// SHA-256 prefix, URLs without query, fragment or user information.
//
// It imports no Caddy: caddymodule/explain finds the route a request
// reaches in the HTTP app, and serves the admin route and the offline run.
package explain
