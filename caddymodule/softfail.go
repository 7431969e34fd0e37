package caddymodule

import (
	"context"
	"net/http"

	"github.com/authgate/authgate/forward"
	"github.com/authgate/authgate/policy"
)

// softFailuresKey is the request-context key under which a handler that
// let a request through softly leaves the failures it sent upstream. A
// later authgate handler on the same request (a site-wide one, then one in
// a handle block) strips every X-Auth- header, the earlier
// X-Auth-Claim-Errors included: it sends the earlier failures on itself,
// or the upstream would take "no header" for "every rule held". The
// context, unlike a header, is out of the client's reach.
type softFailuresKey struct{}

// softFailures returns the failures the request goes upstream with: those
// of earlier handlers, then those of denial (nil: none here).
func softFailures(r *http.Request, denial *policy.Denial) []policy.Failure {
	earlier, _ := r.Context().Value(softFailuresKey{}).([]policy.Failure)
	if denial == nil {
		return earlier
	}
	return policy.AppendFailures(earlier, denial.Failures)
}

// passSoftly records the decision soft_denied with the failures, sets
// X-Auth-Claim-Errors, and returns r carrying the failures for the
// handlers after this one.
func passSoftly(r *http.Request, d *decision, fs []policy.Failure) *http.Request {
	d.outcome, d.reason, d.failed = OutcomeSoftDenied, "policy_denied", fs
	r.Header.Set(forward.ClaimErrorsHeader, (&policy.Denial{Failures: fs}).ClaimErrors())
	return r.WithContext(context.WithValue(r.Context(), softFailuresKey{}, fs))
}
