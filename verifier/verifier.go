package verifier

import "context"

// Verifier checks a credential and returns the identity it proves.
//
// Unauthenticated is a result, not a failure: Verify returns
// ErrNotResponsible when the credential is not addressed to this verifier, a
// *RejectedError when it is and is invalid, and an *UnavailableError when a
// dependency failed. Any other error is a bug or an unexpected fault; callers
// treat it as unavailable. On success the returned Identity must not be
// modified by the caller.
type Verifier interface {
	Verify(ctx context.Context, cred Credential) (*Identity, error)
}

// DenyList answers whether an otherwise valid identity has been revoked
// (by token id, or by subject for tokens issued before a revocation time).
// It is consulted on every request, including identity-cache hits.
type DenyList interface {
	Denied(ctx context.Context, id *Identity) (bool, error)
}
