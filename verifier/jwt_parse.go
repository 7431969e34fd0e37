package verifier

import (
	"context"
	"errors"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// verification is the state of checking one token. The token is parsed
// once; the keyfunc, which jwt calls after decoding header and claims and
// after the parser's algorithm allow-list, routes it to a verifier by its
// (still unverified) iss and runs that verifier's header and claim-shape
// checks before handing out a key of that verifier only. So a key of issuer
// A never verifies a token claiming issuer B.
type verification struct {
	ctx  context.Context
	pick func(iss string) *JWTVerifier
	// chosen is the verifier the token was routed to.
	chosen *JWTVerifier
	// keyfuncRan tells a parser refusal (algorithm not allowed, before any
	// key is asked for) from a signature that did not verify.
	keyfuncRan bool
}

// verifyToken parses, routes and verifies token with parser, then validates
// its claims with the chosen verifier.
func verifyToken(ctx context.Context, parser *jwt.Parser, token string, pick func(string) *JWTVerifier) (*Identity, error) {
	vf := &verification{ctx: ctx, pick: pick}
	claims := jwt.MapClaims{}
	tok, err := parser.ParseWithClaims(token, claims, vf.keyfunc)
	if err != nil {
		return nil, vf.classify(tok, claims, err)
	}
	id, err := vf.chosen.finish(ctx, token, claims)
	if err != nil {
		return nil, err
	}
	id.TokenDigest = signingDigest(token)
	return id, nil
}

func (vf *verification) keyfunc(t *jwt.Token) (any, error) {
	vf.keyfuncRan = true
	claims, _ := t.Claims.(jwt.MapClaims)
	v, err := vf.route(claims)
	if err != nil {
		return nil, err
	}
	vf.chosen = v
	if err := v.checkHeader(t); err != nil {
		return nil, err
	}
	if err := v.checkShape(claims); err != nil {
		return nil, err
	}
	return v.cfg.Keys.KeyfuncCtx(vf.ctx)(t)
}

// route picks the verifier for the token's iss; ErrNotResponsible when none.
func (vf *verification) route(claims jwt.MapClaims) (*JWTVerifier, error) {
	raw, present := claims["iss"]
	iss, ok := raw.(string)
	if present && !ok {
		return nil, Reject(ReasonMalformed, errors.New("iss claim is not a string"))
	}
	if v := vf.pick(iss); v != nil {
		return v, nil
	}
	return nil, ErrNotResponsible
}

// classify maps a parse failure to our outcomes with errors.Is/As on jwt's
// sentinels and on the typed errors our keyfunc and key sources return.
func (vf *verification) classify(t *jwt.Token, claims jwt.MapClaims, err error) error {
	if typed := ownError(err); typed != nil {
		return typed
	}
	if t == nil || errors.Is(err, jwt.ErrTokenMalformed) {
		// Not structurally a JWT (jwt reports these before any key is
		// asked for): an opaque session token, say, which a verifier later
		// in a chain may own.
		return Reject(ReasonMalformed, fmt.Errorf("%w: %w", ErrNotResponsible, err))
	}
	if !vf.keyfuncRan {
		// The parser refused the algorithm (unknown to jwt, or not in the
		// allow-list) before routing; route now so a token of another
		// issuer is still "not mine" rather than rejected here.
		if _, rerr := vf.route(claims); rerr != nil {
			return ownError(rerr)
		}
		if _, ok := t.Header["alg"].(string); !ok {
			return Reject(ReasonMalformed, err)
		}
		return Reject(ReasonAlgNotAllowed, err)
	}
	if errors.Is(err, jwt.ErrTokenSignatureInvalid) {
		return Reject(ReasonBadSignature, err)
	}
	// An untyped error from a KeySource: fail closed as unavailable.
	return Unavailable(ReasonKeysUnavailable, err)
}

// ownError returns err's *RejectedError, *UnavailableError or
// ErrNotResponsible, unwrapped from jwt's wrapping; nil if it has none.
func ownError(err error) error {
	var rej *RejectedError
	if errors.As(err, &rej) {
		return rej
	}
	var un *UnavailableError
	if errors.As(err, &un) {
		return un
	}
	if errors.Is(err, ErrNotResponsible) {
		return ErrNotResponsible
	}
	return nil
}

// finish validates the verified claims and builds the identity. A token
// the verifier cannot vouch for alone (older than MaxAge, or expired with
// RecheckExpired) goes to Recheck when one is configured.
func (v *JWTVerifier) finish(ctx context.Context, token string, claims jwt.MapClaims) (*Identity, error) {
	expired, err := v.validateClaims(claims)
	if err != nil {
		return nil, err
	}
	if err := v.checkBinding(claims); err != nil {
		return nil, err
	}
	ageErr := v.checkAge(claims)
	if !expired && ageErr == nil && !v.alwaysRecheck() {
		return v.identity(claims), nil
	}
	if v.cfg.Recheck == nil || errors.Is(ageErr, errNoIssuedAt) {
		return nil, ageErr
	}
	return v.recheck(ctx, token, claims, expired)
}

// claimsError maps the validator's joined errors to one reason. Issuer and
// audience come first: a token meant for someone else is that before it is
// expired.
func claimsError(err error) error {
	switch {
	case errors.Is(err, jwt.ErrInvalidType):
		return Reject(ReasonMalformed, err)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return Reject(ReasonBadIssuer, err)
	case errors.Is(err, jwt.ErrTokenInvalidAudience), errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		// checkShape has already required exp, and routing iss, so the
		// only claim that can be missing here is aud.
		return Reject(ReasonBadAudience, err)
	case errors.Is(err, jwt.ErrTokenExpired):
		return Reject(ReasonTokenExpired, err)
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return Reject(ReasonNotYetValid, err)
	}
	return Reject(ReasonMalformed, err)
}
