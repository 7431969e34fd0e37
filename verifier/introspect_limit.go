package verifier

import (
	"errors"
	"fmt"

	"github.com/authgate/authgate/internal/clientlimit"
)

var errClientBudget = errors.New("client is over its budget of introspection calls")

// checkShape refuses, without a call, a credential that is shorter than
// MinTokenBytes or that TokenPattern does not match: junk sent at random
// never reaches the service, so it cannot spend the shared call rate. A
// credential over MaxTokenBytes is left to checkToken (too_large).
func (v *IntrospectVerifier) checkShape(token string) error {
	if len(token) > v.cfg.MaxTokenBytes {
		return nil
	}
	if len(token) < v.cfg.MinTokenBytes || (v.cfg.TokenPattern != nil && !v.cfg.TokenPattern.MatchString(token)) {
		return Reject(ReasonMalformed, fmt.Errorf("%w: %w", errNotAToken, ErrNotResponsible))
	}
	return nil
}

// spend takes one call from client's budget before a call on its behalf,
// and reports whether it did. A request that joins a call already charged
// (the same token in flight) costs nothing. Re-checks (client "") and
// verifiers without a budget spend nothing.
func (v *IntrospectVerifier) spend(key, client string) (bool, error) {
	if v.clients == nil || client == "" {
		return false, nil
	}
	if _, inFlight := v.charged.LoadOrStore(key, struct{}{}); inFlight {
		return false, nil
	}
	if ok, wait := v.clients.Take(client); !ok {
		v.charged.Delete(key)
		return false, &UnavailableError{Reason: ReasonRateLimited, RetryAfter: wait, Err: errClientBudget}
	}
	// The client's network pays too: rotating through the /64s of one
	// IPv6 /48 must not multiply the budget.
	if network := clientlimit.Network(client); network != "" {
		if ok, wait := v.networks.Take(network); !ok {
			v.clients.Refund(client)
			v.charged.Delete(key)
			return false, &UnavailableError{Reason: ReasonRateLimited, RetryAfter: wait, Err: errClientBudget}
		}
	}
	return true, nil
}

// refund gives the call back once the token proved to be an active
// session: a client presenting many real tokens (a backend acting for its
// users) is never throttled for them; junk and dead tokens keep costing.
func (v *IntrospectVerifier) refund(client string) {
	if v.clients != nil && client != "" {
		v.clients.Refund(client)
		if network := clientlimit.Network(client); network != "" {
			v.networks.Refund(network)
		}
	}
}
