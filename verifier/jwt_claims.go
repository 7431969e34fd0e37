package verifier

import (
	"errors"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/internal/jsonnum"
)

// maxNumericDate is 9999-12-31T23:59:59Z. Larger dates are refused as
// malformed: jwt converts seconds with int64(float64), which silently wraps
// for huge values, and no honest token lives that long.
const maxNumericDate = 253402300799

// checkHeader applies the verifier's header rules: its own algorithm
// allow-list (the router's parser only knows the union), the typ allow-list
// and the crit header (RFC 7515 section 4.1.11: a recipient that does not
// understand a listed extension must reject the token; we understand none).
// jku, x5u, jwk and x5c are deliberately not read.
func (v *JWTVerifier) checkHeader(t *jwt.Token) error {
	if !slices.Contains(v.cfg.Algorithms, t.Method.Alg()) {
		return Reject(ReasonAlgNotAllowed, errors.New("algorithm not allowed for this issuer"))
	}
	typ := ""
	if raw, ok := t.Header["typ"]; ok {
		s, isString := raw.(string)
		if !isString {
			return Reject(ReasonMalformed, errors.New("typ header is not a string"))
		}
		typ = normalizeType(s)
	}
	if typ == AssertionType || !slices.Contains(v.types, typ) {
		return Reject(ReasonBadType, errors.New("typ header not allowed"))
	}
	if _, ok := t.Header["crit"]; ok {
		return Reject(ReasonUnsupportedCrit, errors.New("crit header lists extensions we do not support"))
	}
	return nil
}

// normalizeType makes typ values comparable: media types are
// case-insensitive and RFC 7515 section 4.1.9 lets "application/" be left out.
func normalizeType(typ string) string {
	return strings.TrimPrefix(strings.ToLower(typ), "application/")
}

func normalizeTypes(types []string) []string {
	out := make([]string, len(types))
	for i, t := range types {
		out[i] = normalizeType(t)
	}
	return out
}

// checkShape checks, before the signature, that the claims are small enough
// and that registered claims have the types RFC 7519 gives them; jwt itself
// ignores a non-string aud, which must not read as "no audience".
func (v *JWTVerifier) checkShape(c jwt.MapClaims) error {
	if !withinLimits(map[string]any(c), v.cfg.MaxClaims, v.cfg.MaxDepth) {
		return Reject(ReasonTooLarge, errors.New("claims exceed the size or nesting limit"))
	}
	sub, ok := c["sub"].(string)
	if !ok || !ValidSubject(sub) {
		return Reject(ReasonMalformed, errors.New("sub claim must be a non-empty string without control characters"))
	}
	if jti, ok := c["jti"]; ok {
		if _, isString := jti.(string); !isString {
			return Reject(ReasonMalformed, errors.New("jti claim is not a string"))
		}
	}
	if !validAudience(c["aud"]) {
		return Reject(ReasonMalformed, errors.New("aud claim must be a string or an array of strings"))
	}
	if exp, ok := jsonnum.Float(c["exp"]); !ok || exp <= 0 {
		return Reject(ReasonMalformed, errors.New("exp claim is required and must be a positive number"))
	}
	for _, name := range []string{"exp", "nbf", "iat"} {
		if !validNumericDate(c, name) {
			return Reject(ReasonMalformed, errors.New(name+" claim must be a number of seconds in range"))
		}
	}
	return nil
}

func validAudience(aud any) bool {
	switch a := aud.(type) {
	case nil, string:
		return true
	case []any:
		for _, e := range a {
			if _, ok := e.(string); !ok {
				return false
			}
		}
		return true
	}
	return false
}

// validNumericDate reports whether claim name is absent or a number between
// 0 and maxNumericDate.
func validNumericDate(c jwt.MapClaims, name string) bool {
	raw, ok := c[name]
	if !ok {
		return true
	}
	f, ok := jsonnum.Float(raw)
	return ok && f >= 0 && f <= maxNumericDate
}

// WithinLimits reports whether claims hold at most maxValues values
// (nested ones included) nested at most maxDepth deep: the limits a
// verifier applies to the claims it accepts.
func WithinLimits(claims map[string]any, maxValues, maxDepth int) bool {
	return withinLimits(claims, maxValues, maxDepth)
}

// withinLimits reports whether the claim tree has at most maxValues values
// (members and array elements, at any depth) and at most maxDepth levels of
// objects and arrays, the top-level object being level 1. It stops at the
// first excess, so the walk costs at most maxValues steps.
func withinLimits(claims map[string]any, maxValues, maxDepth int) bool {
	budget := maxValues
	return walkWithin(claims, 1, maxDepth, &budget)
}

func walkWithin(node any, depth, maxDepth int, budget *int) bool {
	switch n := node.(type) {
	case map[string]any:
		if depth > maxDepth {
			return false
		}
		for _, c := range n {
			if !visit(c, depth, maxDepth, budget) {
				return false
			}
		}
	case []any:
		if depth > maxDepth {
			return false
		}
		for _, c := range n {
			if !visit(c, depth, maxDepth, budget) {
				return false
			}
		}
	}
	return true
}

// visit counts one value against the budget and walks into it.
func visit(child any, depth, maxDepth int, budget *int) bool {
	*budget--
	return *budget >= 0 && walkWithin(child, depth+1, maxDepth, budget)
}
