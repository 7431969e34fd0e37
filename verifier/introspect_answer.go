package verifier

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/authgate/authgate/claims"
	"github.com/authgate/authgate/internal/jsonnum"
)

// answer is what an introspection answer says, once read.
type answer struct {
	active  bool
	subject string
	issuer  string
	expires time.Time // zero: not reported
	issued  time.Time // zero: not reported, or no IssuedAtPath
	claims  map[string]any
}

// parseAnswer reads the answer of the configured mode. An error means the
// answer is not what the service should send (a wrong type where a time or
// a boolean belongs, claims over the limits): the service is broken, not the
// token, so it is a failure and never an inactive verdict.
func (v *IntrospectVerifier) parseAnswer(doc map[string]any) (answer, error) {
	var a answer
	var err error
	if v.cfg.Mode == IntrospectRFC7662 {
		a, err = parseRFC7662(doc)
	} else {
		a, err = v.parseJSON(doc)
	}
	if err != nil || !a.active {
		return a, err
	}
	if !withinLimits(a.claims, v.cfg.MaxClaims, v.cfg.MaxDepth) {
		return a, errors.New("claims exceed the size or nesting limit")
	}
	if raw := v.lookup(doc, v.cfg.IssuedAtPath); raw != nil {
		if a.issued, err = parseTime(raw, true); err != nil {
			return answer{}, fmt.Errorf("%q: %w", v.cfg.IssuedAtPath, err)
		}
	}
	return a, nil
}

// parseRFC7662 reads an RFC 7662 section 2.2 answer. active is required and
// must be a boolean; when it is false nothing else counts. Every member but
// active becomes a claim, sub, exp, scope and iss included.
func parseRFC7662(doc map[string]any) (answer, error) {
	active, ok := doc["active"].(bool)
	if !ok {
		return answer{}, errors.New(`"active" is missing or not a boolean`)
	}
	if !active {
		return answer{}, nil
	}
	delete(doc, "active")
	a := answer{active: true, claims: doc}
	a.subject, _ = doc["sub"].(string)
	a.issuer, _ = doc["iss"].(string)
	var err error
	if raw, ok := doc["exp"]; ok {
		if a.expires, err = parseTime(raw, false); err != nil {
			return answer{}, fmt.Errorf(`"exp": %w`, err)
		}
	}
	return a, nil
}

// parseJSON reads a session endpoint's answer through the configured paths.
// The claims are the members of ClaimsPath, plus sub set to the subject, so
// the one canonical subject is also what {claims.sub} says.
func (v *IntrospectVerifier) parseJSON(doc map[string]any) (answer, error) {
	a := answer{active: true, claims: map[string]any{}}
	a.subject, _ = v.lookup(doc, v.cfg.SubjectPath).(string)
	if raw := v.lookup(doc, v.cfg.ClaimsPath); raw != nil {
		m, ok := raw.(map[string]any)
		if !ok {
			return answer{}, fmt.Errorf("%q is not an object", v.cfg.ClaimsPath)
		}
		a.claims = m
	}
	if raw := v.lookup(doc, v.cfg.ExpiresPath); raw != nil {
		var err error
		if a.expires, err = parseTime(raw, true); err != nil {
			return answer{}, fmt.Errorf("%q: %w", v.cfg.ExpiresPath, err)
		}
	}
	a.claims["sub"] = a.subject
	return a, nil
}

// lookup resolves path in doc; nil when the path is empty, missing or null.
func (v *IntrospectVerifier) lookup(doc map[string]any, path string) any {
	if path == "" {
		return nil
	}
	x, _ := claims.Lookup(doc, path)
	return x
}

// parseTime reads unix seconds or, when allowed, an RFC 3339 string.
func parseTime(raw any, allowString bool) (time.Time, error) {
	if f, ok := jsonnum.Float(raw); ok {
		raw = f
	}
	switch t := raw.(type) {
	case float64:
		if t < 0 || t > maxNumericDate || math.IsNaN(t) {
			return time.Time{}, errors.New("time out of range")
		}
		sec, frac := math.Modf(t)
		return time.Unix(int64(sec), int64(frac*1e9)), nil
	case string:
		if allowString {
			ts, err := time.Parse(time.RFC3339Nano, t)
			if err != nil {
				return time.Time{}, errors.New("time is not RFC 3339")
			}
			return ts, nil
		}
	}
	return time.Time{}, errors.New("time has the wrong type")
}

// result turns an answer into the cached outcome. An active answer without
// a subject, or whose reported expiry has passed, is inactive: a session
// without a subject cannot be anyone. An active answer is reused for
// CacheTTL, never beyond its expiry.
func (v *IntrospectVerifier) result(a answer) introspection {
	now := v.cfg.Now()
	if !a.active || a.subject == "" || (!a.expires.IsZero() && !now.Before(a.expires)) {
		return v.inactive()
	}
	if !ValidSubject(a.subject) {
		bad := v.inactive()
		bad.badSubject = true
		return bad
	}
	until := now.Add(v.cfg.CacheTTL)
	if !a.expires.IsZero() && a.expires.Before(until) {
		until = a.expires
	}
	id := &Identity{
		Verifier:   v.cfg.Name,
		Subject:    a.subject,
		Issuer:     a.issuer,
		IssuedAt:   now, // the claims are as fresh as this answer
		ExpiresAt:  a.expires,
		ValidUntil: until,
		Claims:     CapClaimTimes(a.claims, now),
	}
	return introspection{id: id, expires: until, issued: a.issued}
}

func (v *IntrospectVerifier) inactive() introspection {
	return introspection{expires: v.cfg.Now().Add(v.cfg.NegativeCacheTTL)}
}
