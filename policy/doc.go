// Package policy decides whether a verified identity may pass a route:
// an Identity goes in, a decision comes out.
//
// A Policy is an ordered list of claim validators compiled once, at
// provision time, from Specs (one per `require` line) with Compile, and
// combined with the global ones by Merge. Validators follow SuperTokens'
// session claim validators: has_value, is_true, is_false, includes,
// excludes, includes_all, excludes_all, plus exists, one_of, permission
// (RBAC through Options.Roles) and the string validators starts_with,
// ends_with, matches (anchored RE2) and in_domain (e-mail domains), whose
// matching rules live in package claims. Comparison is type-exact on decoded JSON
// values (claims.Equal); claim names are paths resolved by claims.Lookup.
//
// Freshness comes before evaluation. Evaluate first asks, for every
// validator, whether its value is missing or older than its max age; such
// claims are refetched once each through the Refresher, then every
// validator runs and every failure is reported in a *Denial, whose JSON
// encoding is the SuperTokens-compatible 403 body:
//
//	{"message":"invalid claim","claimValidationErrors":[
//	  {"id":"roles","reason":{"message":"wrong value","expectedToInclude":"admin","actualValue":["user"]}}]}
//
// Reason messages are SuperTokens' ("value does not exist", "wrong value",
// "expired") and so are its field names (expectedValue, expectedToInclude,
// expectedToNotInclude, actualValue, ageInSeconds, maxAgeInSeconds). For the
// ops SuperTokens lacks: one_of reports expectedToBeOneOf (the list of
// allowed values), permission reports expectedPermission (the permission)
// with the roles claim as actualValue, exists reports the message alone, and
// the string validators report expectedToStartWith, expectedToEndWith,
// expectedToMatch (the pattern as configured) and expectedDomain (the
// normalised domain); they fail any claim that is not a string.
// includes_all and excludes_all report the whole list, as SuperTokens does.
//
// A route may put validators in pass mode (Policy.WithPass; SuperTokens'
// showAccessDeniedOnFailure: false): when only such validators fail, the
// Denial is Soft, the caller lets the request through and hands the
// failures on (Denial.ClaimErrors); one enforced failure makes the whole
// Denial hard, listing every failure. Pass mode never touches refresh
// errors.
//
// The Refresher behind `claim` blocks lives in package claimsource; a
// Refresher that also implements MemoRefresher lets Evaluate reuse the
// identity it derived from a cached value.
//
// A claim source that fails with no usable value makes Evaluate return a
// *RefreshError (ErrRefreshUnavailable): the caller answers 503 and never
// lets the request pass. The package never imports Caddy or zap, never logs,
// and never puts claim values into error strings.
//
// The rules for claim values themselves (paths, {"v","t"} values, exact
// numbers, operands, header encoding) live in package claims, shared with
// the claim sources and the forwarded headers.
package policy
