package verifier

import (
	"context"
	"errors"
)

// Chain tries verifiers in order and returns the first answer from a
// verifier that takes responsibility for the credential. A verifier passes
// the credential on by returning an error that matches ErrNotResponsible;
// it may wrap it in a *RejectedError to say why (an opaque token is
// "malformed" to a JWT router), and that first reason is what the chain
// returns when no verifier takes the credential.
type Chain []Verifier

// Verify implements Verifier.
func (c Chain) Verify(ctx context.Context, cred Credential) (*Identity, error) {
	var first error
	for _, v := range c {
		id, err := v.Verify(ctx, cred)
		if err == nil || !errors.Is(err, ErrNotResponsible) {
			return id, err
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		first = ErrNotResponsible
	}
	return nil, first
}
