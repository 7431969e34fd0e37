package verifier

import (
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var (
	errNoIssuedAt = errors.New("iat claim is required when max age is set")
	errTooOld     = errors.New("token is older than max age")
)

// checkAge enforces MaxAge. Without iat a token's age is unknown, and an
// unknown age cannot be within a limit, so it is too_old.
func (v *JWTVerifier) checkAge(c jwt.MapClaims) error {
	if v.cfg.MaxAge <= 0 {
		return nil
	}
	iat, err := c.GetIssuedAt()
	if err != nil || iat == nil {
		return Reject(ReasonTooOld, errNoIssuedAt)
	}
	if v.cfg.Now().After(iat.Add(v.cfg.MaxAge + v.cfg.Leeway)) {
		return Reject(ReasonTooOld, errTooOld)
	}
	return nil
}

// identity builds the Identity of verified claims. checkShape has
// guaranteed the types, so the conversions below cannot fail.
func (v *JWTVerifier) identity(c jwt.MapClaims) *Identity {
	sub, _ := c["sub"].(string)
	jti, _ := c["jti"].(string)
	aud, _ := c.GetAudience()
	iat := dateOf(c.GetIssuedAt())
	id := &Identity{
		Verifier: v.cfg.Name,
		Subject:  v.subject(sub),
		Issuer:   v.cfg.Issuer,
		Audience: []string(aud),
		TokenID:  jti,
		IssuedAt: iat,
		Claims:   CapClaimTimes(map[string]any(c), iat),
	}
	id.ExpiresAt = dateOf(c.GetExpirationTime())
	id.ValidUntil = id.ExpiresAt
	if v.cfg.MaxAge > 0 {
		// checkAge guarantees IssuedAt is set.
		id.ValidUntil = earliest(id.ValidUntil, id.IssuedAt.Add(v.cfg.MaxAge))
	}
	return id
}

// subject applies the subject template. Only "{sub}" is substituted, so a
// sub containing braces is never expanded a second time.
func (v *JWTVerifier) subject(sub string) string {
	if v.cfg.SubjectTemplate == "{sub}" {
		return sub
	}
	return strings.ReplaceAll(v.cfg.SubjectTemplate, "{sub}", sub)
}

func dateOf(d *jwt.NumericDate, _ error) time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.Time
}

// earliest returns the earlier of a and b, treating zero as unbounded.
func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero(), a.Before(b):
		return a
	}
	return b
}
