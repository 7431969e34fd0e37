// Package metrics owns authgate's Prometheus metrics: the process-level
// vectors, the collector registered in each config's registry, the
// pre-resolved table of authgate_requests_total series, and the
// implementations of the domain packages' observers (verifier, session,
// claimsource, oidclogin) that feed them.
//
// Every label value comes from the configuration (verifier, claim and
// provider names) or from a fixed code (outcomes, reasons, results); never
// from a token, a subject, a session or a path.
//
// It may import Prometheus and the domain packages, never caddymodule:
// caddymodule registers the collector, hands the observers to the domain
// packages and counts each request's decision.
package metrics
