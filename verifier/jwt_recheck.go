package verifier

import (
	"context"
	"errors"
	"maps"

	"github.com/golang-jwt/jwt/v5"
)

var errSubjectMismatch = errors.New("session service answered for another subject")

// Rechecker confirms with a session service that a validly signed JWT the
// gateway can no longer vouch for on its own (older than max_age, or
// expired) still stands for a live session. The JWT itself is sent as the
// token. It returns the service's identity, whose ValidUntil says how long
// the answer may be relied on, a *RejectedError when the session is gone and
// an *UnavailableError when the service cannot be asked.
type Rechecker interface {
	Recheck(ctx context.Context, token string) (*Identity, error)
}

// alwaysRecheck reports whether every token goes to Recheck: with no
// MaxAge there is no window in which the token alone is trusted.
func (v *JWTVerifier) alwaysRecheck() bool {
	return v.cfg.Recheck != nil && v.cfg.MaxAge <= 0
}

// validateClaims runs the claim validator. With RecheckExpired a token whose
// only fault is its exp is reported as expired instead of refused, so it can
// be re-checked; any other fault still wins.
func (v *JWTVerifier) validateClaims(c jwt.MapClaims) (expired bool, err error) {
	err = v.validator.Validate(c)
	if err == nil {
		return false, nil
	}
	if !v.cfg.RecheckExpired || !errors.Is(err, jwt.ErrTokenExpired) {
		return false, claimsError(err)
	}
	rest := maps.Clone(c)
	delete(rest, "exp")
	if err := v.expiredValidator.Validate(rest); err != nil {
		return false, claimsError(err)
	}
	return true, nil
}

// recheck asks Recheck about a token whose signature and claims have been
// verified. The answer must name the token's own sub: a session service
// vouching for someone else must never turn into that someone's identity.
// The identity keeps the token's claims and is valid no longer than the
// service's answer (nor, unless expired tokens are re-checked, the token).
func (v *JWTVerifier) recheck(ctx context.Context, token string, c jwt.MapClaims, expired bool) (*Identity, error) {
	remote, err := v.cfg.Recheck.Recheck(ctx, token)
	if err != nil {
		return nil, err
	}
	if sub, _ := c["sub"].(string); remote == nil || remote.Subject != sub {
		return nil, Reject(ReasonInactive, errSubjectMismatch)
	}
	bound := remote.ValidUntil
	if bound.IsZero() {
		// No bound from the service: usable for this request only.
		bound = v.cfg.Now()
	}
	id := v.identity(c)
	id.ValidUntil = bound
	if !expired {
		id.ValidUntil = earliest(id.ExpiresAt, bound)
	}
	return id, nil
}
