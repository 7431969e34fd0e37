// Package verifier turns credentials into verified identities.
//
// A request's credential (a bearer token, a cookie) is described by a
// Credential; a Verifier checks it and returns an Identity whose claims can be
// trusted. Verifiers report three kinds of outcome, and callers branch on them
// with errors.Is and errors.As:
//
//   - ErrNotResponsible: the credential is not for this verifier; try another.
//   - *RejectedError: the credential is for this verifier and is invalid
//     (expired, bad signature, revoked, …). It carries a stable Reason code.
//     Being unauthenticated is a result, not a technical failure.
//   - *UnavailableError: the verifier could not decide because something it
//     depends on (a key source, a store) failed. Callers must fail closed.
//
// The package knows nothing of Caddy or HTTP responses; it never logs.
package verifier
