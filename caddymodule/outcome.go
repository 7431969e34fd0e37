package caddymodule

// Outcome is what authgate decided about a protected request, as the
// access log and the metrics name it. The set is fixed: values are never
// built from a request.
type Outcome string

// The outcomes of a protected request.
const (
	// OutcomeAllowed: the request went on to the next handler (with an
	// identity, or without one on an optional route or a CORS preflight).
	OutcomeAllowed Outcome = "allowed"
	// OutcomeUnauthorized: no usable credential; answered 401.
	OutcomeUnauthorized Outcome = "unauthorized"
	// OutcomeForbidden: the credential verified but the policy refused it;
	// answered 403.
	OutcomeForbidden Outcome = "forbidden"
	// OutcomeRedirected: sent elsewhere with a 302, to log in or to a
	// validator's on_failure target.
	OutcomeRedirected Outcome = "redirected"
	// OutcomeUnavailable: a dependency failed or a budget ran out (503,
	// 429), or an internal fault (500); the request was refused, never
	// let through.
	OutcomeUnavailable Outcome = "unavailable"
	// OutcomeBadRequest: refused with 400 before any credential was looked
	// at (the path firewall, a protected trailer).
	OutcomeBadRequest Outcome = "bad_request"
	// OutcomeSoftDenied: only validators in pass mode failed; the request
	// went on with the failures in X-Auth-Claim-Errors.
	OutcomeSoftDenied Outcome = "soft_denied"
)

// outcomes lists every Outcome.
var outcomes = []Outcome{
	OutcomeAllowed, OutcomeUnauthorized, OutcomeForbidden, OutcomeRedirected, OutcomeUnavailable,
	OutcomeBadRequest, OutcomeSoftDenied,
}
