// Package checkhttp serves the authorization check endpoint
// (/.authgate/check): a front end asks whether the caller may do
// something, by permission or by the name of a check declared in the
// configuration, and gets {"allowed":true} or {"allowed":false,
// "claimValidationErrors":[…]}, the reasons of the 403 the gateway would
// answer. GET asks one or more questions in the query string (all must
// hold); POST asks a batch, a JSON list, and gets one answer per question,
// in order.
//
// It owns the endpoint's HTTP side: parsing questions, the per-subject
// budget, the bounds on batches and bodies, the answers and their reason
// codes. The decisions themselves are policy.Checker's. It declares the
// small Route interface through which the gateway authenticates the
// caller and answers refusals the way the route would. It must not import
// Caddy, zap or the session packages.
package checkhttp
