package policy

import "github.com/authgate/authgate/claims"

// verdict is the outcome of one validator on the hot path; the Reason is
// built only for failures.
type verdict uint8

const (
	passed verdict = iota
	missingValue
	expiredValue
	wrongValue
)

// validate runs every validator's check, in order, and collects all
// failures: the 403 body reports every failing validator, not the first.
// The Denial is allocated only when something fails; it is soft when
// every failing validator is in pass mode.
func (e *evaluation) validate() *Denial {
	var d *Denial
	hard := false
	for i, v := range e.p.validators {
		verdict, value := e.check(i, v)
		if verdict == passed {
			continue
		}
		if d == nil {
			d = &Denial{Failures: make([]Failure, 0, len(e.p.validators)-i)}
		}
		d.Failures = append(d.Failures, Failure{ID: v.id, Reason: e.reason(v, verdict, value)})
		hard = hard || !e.p.passes(i)
	}
	if d != nil {
		d.soft = !hard
	}
	return d
}

// check validates one claim in SuperTokens' order: missing, then expired,
// then the value itself. It returns the raw value for an expired claim and
// the unwrapped value for a wrong one.
func (e *evaluation) check(i int, v *validator) (verdict, any) {
	raw, ok := claims.Lookup(e.claims, v.path)
	if !ok {
		return missingValue, nil
	}
	if e.stale(i, v, raw) {
		return expiredValue, raw
	}
	value, _, _ := claims.Unwrap(raw)
	if v.holds(value) {
		return passed, nil
	}
	return wrongValue, value
}

// stale reports a value older than v's max age. A value refreshed in this
// Evaluate is fresh; any other stale value had no claim source (or it would
// have been refreshed), so it fails with "expired" as in SuperTokens. Max
// age 0 means every request, so without a source it always fails, and a
// value of unknown age counts as stale.
func (e *evaluation) stale(i int, v *validator, raw any) bool {
	if !v.hasMaxAge || e.refreshed(i) {
		return false
	}
	age, known := e.age(raw)
	return !known || v.maxAge == 0 || age > v.maxAge
}

// refreshed reports whether validator i's claim was refreshed in this
// Evaluate.
func (e *evaluation) refreshed(i int) bool {
	s := e.p.slots[i]
	return s >= 0 && e.slots[s].refreshed
}

// reason explains a failed verdict the way SuperTokens does.
func (e *evaluation) reason(v *validator, verdict verdict, value any) Reason {
	switch verdict {
	case missingValue:
		// SuperTokens names the expectation and leaves actualValue out.
		return Reason{Message: MessageMissing, ExpectedField: v.field, Expected: v.expected}
	case expiredValue:
		age, known := e.age(value)
		return Reason{Message: MessageExpired, Age: age, HasAge: known, MaxAge: v.maxAge, HasMaxAge: true}
	}
	return Reason{Message: MessageWrongValue, ExpectedField: v.field, Expected: v.expected,
		Actual: value, HasActual: true}
}

// holds reports whether a present claim value passes v's op.
func (v *validator) holds(value any) bool {
	switch v.op {
	case OpHasValue, OpIsTrue, OpIsFalse:
		return claims.Equal(value, v.expected)
	case OpExists:
		return true
	case OpOneOf:
		return contains(v.values, value)
	case OpStartsWith, OpEndsWith, OpMatches, OpInDomain:
		return v.holdsString(value)
	}
	arr, ok := value.([]any)
	if !ok {
		// includes/excludes and friends are defined on arrays only; a
		// present non-array fails closed, even for excludes.
		return false
	}
	switch v.op {
	case OpIncludes:
		return contains(arr, v.values[0])
	case OpExcludes:
		return !contains(arr, v.values[0])
	case OpIncludesAll:
		return all(v.values, func(w any) bool { return contains(arr, w) })
	case OpExcludesAll:
		return all(v.values, func(w any) bool { return !contains(arr, w) })
	case OpPermission:
		return v.roles.permitted(arr, v.perm)
	}
	return false
}

func all(values []any, pred func(any) bool) bool {
	for _, w := range values {
		if !pred(w) {
			return false
		}
	}
	return true
}

// contains reports whether the array arr holds an element equal to v.
func contains(arr []any, v any) bool {
	for _, e := range arr {
		if claims.Equal(e, v) {
			return true
		}
	}
	return false
}
