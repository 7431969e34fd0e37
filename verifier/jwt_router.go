package verifier

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/golang-jwt/jwt/v5"
)

var errUnknownIssuer = errors.New("token issuer is not configured")

// RouterOptions configures a JWTRouter.
type RouterOptions struct {
	// MaxTokenBytes caps the credential length, checked before any parsing
	// (reason too_large). Default: 8192.
	MaxTokenBytes int
}

// JWTRouter verifies JWTs from several issuers. It parses each token once,
// picks the verifier whose issuer matches the token's iss and verifies with
// that verifier's keys and rules only; it never tries the keys of every
// issuer. It is safe for concurrent use.
type JWTRouter struct {
	byIssuer map[string]*JWTVerifier
	parser   *jwt.Parser
	maxBytes int
}

// NewJWTRouter returns a router over vs. Two verifiers with the same issuer
// are an error: which keys a token is checked with must never depend on
// order.
func NewJWTRouter(vs []*JWTVerifier, opts RouterOptions) (*JWTRouter, error) {
	if len(vs) == 0 {
		return nil, errors.New("creating JWT router: no verifiers")
	}
	if opts.MaxTokenBytes < 0 {
		return nil, errors.New("creating JWT router: max token bytes must not be negative")
	}
	if opts.MaxTokenBytes == 0 {
		opts.MaxTokenBytes = defaultMaxTokenBytes
	}
	r := &JWTRouter{byIssuer: make(map[string]*JWTVerifier, len(vs)), maxBytes: opts.MaxTokenBytes}
	var algs []string
	for _, v := range vs {
		if v == nil {
			return nil, errors.New("creating JWT router: nil verifier")
		}
		if prev, dup := r.byIssuer[v.Issuer()]; dup {
			return nil, fmt.Errorf("creating JWT router: verifiers %q and %q both use issuer %q", prev.Name(), v.Name(), v.Issuer())
		}
		r.byIssuer[v.Issuer()] = v
		for _, a := range v.cfg.Algorithms {
			if !slices.Contains(algs, a) {
				algs = append(algs, a)
			}
		}
	}
	// The parser's allow-list is the union; each verifier re-checks its own
	// list once the token is routed.
	r.parser = newParser(algs)
	return r, nil
}

// Verify checks a JWT credential against the verifier of its issuer.
// Failures are *RejectedError or, when keys cannot be loaded,
// *UnavailableError. Two rejections also match ErrNotResponsible, so that a
// Chain passes the credential on to the next verifier (an introspection
// verifier reading the same cookie): malformed, for a credential that is not
// structurally a JWT, and bad_issuer, for a JWT whose iss matches no
// verifier. Alone, the router still answers with those reasons.
func (r *JWTRouter) Verify(ctx context.Context, cred Credential) (*Identity, error) {
	if err := checkSize(cred.Value, r.maxBytes); err != nil {
		return nil, err
	}
	id, err := verifyToken(ctx, r.parser, cred.Value, r.pick)
	var rej *RejectedError
	if errors.Is(err, ErrNotResponsible) && !errors.As(err, &rej) {
		return nil, Reject(ReasonBadIssuer, fmt.Errorf("%w: %w", errUnknownIssuer, ErrNotResponsible))
	}
	return id, err
}

func (r *JWTRouter) pick(iss string) *JWTVerifier {
	return r.byIssuer[iss]
}
