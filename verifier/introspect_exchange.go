package verifier

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

var (
	errNoIssuedAtPath = errors.New("tokens of an introspect block without an issue-time path cannot be exchanged")
	errNoIssueTime    = errors.New("introspection answer reports no issue time")
)

// Exchanger returns the verifier of v's opaque tokens offered in exchange
// for an edge session (Stytch's migrate). Unlike Verify it asks the
// service every time and never answers from the cache: the session will
// outlive any answer, so it must rest on a current one. Its identity
// differs from Verify's in three ways:
//   - IssuedAt is the issue time the answer reports at IssuedAtPath, as
//     reported (even in the future: the one-time marker must outlast the
//     time the token looks fresh), so an exchange age limit measures the
//     token, not the call; an answer without one is refused as too_old;
//   - TokenDigest is the hex SHA-256 of the token, the key of its
//     one-time exchange marker;
//   - ExpiresAt is the expiry the answer reports, zero when none.
//
// It fails when v has no IssuedAtPath.
func (v *IntrospectVerifier) Exchanger() (Verifier, error) {
	if v.cfg.IssuedAtPath == "" {
		return nil, errNoIssuedAtPath
	}
	return introspectExchange{v}, nil
}

type introspectExchange struct{ v *IntrospectVerifier }

// Verify implements Verifier.
func (x introspectExchange) Verify(ctx context.Context, cred Credential) (*Identity, error) {
	v := x.v
	if err := v.checkShape(cred.Value); err != nil {
		return nil, err
	}
	if err := v.checkToken(cred.Value); err != nil {
		return nil, err
	}
	r, err := x.call(ctx, cred.Value)
	if err != nil {
		return nil, err
	}
	id, err := r.outcome()
	if err != nil {
		return nil, err
	}
	if err := v.checkIntrospectedBinding(id); err != nil {
		return nil, err
	}
	if r.issued.IsZero() {
		return nil, Reject(ReasonTooOld, errNoIssueTime)
	}
	c := *id // shallow: the claims stay shared and read-only
	c.Subject = strings.ReplaceAll(v.cfg.SubjectTemplate, "{sub}", id.Subject)
	c.IssuedAt = r.issued
	sum := sha256.Sum256([]byte(cred.Value))
	c.TokenDigest = hex.EncodeToString(sum[:])
	return &c, nil
}

// call makes one uncached call charged to the client's budget, given back
// when the token proves active.
func (x introspectExchange) call(ctx context.Context, token string) (introspection, error) {
	v := x.v
	key, client := cacheKey(v.cfg.Name+"\x00exchange", token), ClientOf(ctx)
	spent, err := v.spend(key, client)
	if err != nil {
		return introspection{}, err
	}
	defer v.charged.Delete(key)
	cctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	defer cancel()
	r, err := v.observedCall(cctx, token)
	if err == nil && spent && r.id != nil {
		v.refund(client)
	}
	return r, err
}

// NewExchangeVerifier returns the verifier of the tokens offered in
// exchange for an edge session: JWTs through one router of jwts, opaque
// tokens through the Exchanger of each of opaque, tried in order (a token
// an Exchanger's shape check refuses goes on to the next). Nil when both
// are empty.
func NewExchangeVerifier(jwts []*JWTVerifier, opaque []*IntrospectVerifier, opts RouterOptions) (Verifier, error) {
	var chain Chain
	if len(jwts) > 0 {
		router, err := NewJWTRouter(jwts, opts)
		if err != nil {
			return nil, err
		}
		chain = append(chain, router)
	}
	for _, v := range opaque {
		x, err := v.Exchanger()
		if err != nil {
			return nil, fmt.Errorf("introspect %q: %w", v.Name(), err)
		}
		chain = append(chain, x)
	}
	switch len(chain) {
	case 0:
		return nil, nil
	case 1:
		return chain[0], nil
	}
	return chain, nil
}
