// Package claimsource keeps claims fresh: it fetches the current value of
// a claim from an HTTP service when the policy finds it missing or older
// than its max age.
//
// Refresher implements policy.Refresher (and policy.MemoRefresher). It
// caches fetched values per (verifier, claim, subject, URL variant), so
// equal subjects of two verifiers never share one; concurrent misses for
// one key make one call (singleflight), max age 0 joins only a fetch that
// started after the request arrived, and in-flight fetches are bounded
// overall and per subject. A source that fails falls back to a value
// within stale_if_error, else the refresh fails and the policy fails
// closed. A Writer stores refreshed values back into edge sessions.
//
// HTTPSource GETs a URLTemplate whose placeholders ({sub}, {session.id},
// {claims.PATH}) are escaped for their position and can never leave the
// configured scheme, host and path prefix; it never follows redirects,
// caps the body and the decoded value, and keeps URLs and bodies out of
// its errors. Its *http.Client is injected (NewClient builds a suitable
// one; share it per process).
//
// The package depends on verifier, policy and claims; it imports no Caddy
// and no zap, never logs, and reports through the Observer it is given.
package claimsource
