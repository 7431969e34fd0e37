package policy

// validate runs every validator's check, in order, and collects all
// failures (SPEC section 4 reports them all). The Denial is allocated only
// when something fails.
func (e *evaluation) validate() *Denial {
	var d *Denial
	for i, v := range e.p.validators {
		r, ok := e.check(i, v)
		if ok {
			continue
		}
		if d == nil {
			d = &Denial{Failures: make([]Failure, 0, len(e.p.validators)-i)}
		}
		d.Failures = append(d.Failures, Failure{ID: v.id, Reason: r})
	}
	return d
}

// check validates one claim in SuperTokens' order: missing, then expired,
// then the value itself.
func (e *evaluation) check(i int, v *validator) (Reason, bool) {
	raw, ok := Lookup(e.id.Claims, v.path)
	if !ok {
		return v.missing(), false
	}
	if r, stale := e.expired(i, v, raw); stale {
		return r, false
	}
	value, _, _ := Unwrap(raw)
	if v.holds(value) {
		return Reason{}, true
	}
	return v.wrong(value), false
}

// expired reports a value older than v's max age. A value refreshed in this
// Evaluate is fresh; any other stale value had no claim source (or it would
// have been refreshed), so it fails with "expired" as in SuperTokens. Max
// age 0 means every request, so without a source it always fails, and a
// value of unknown age counts as stale.
func (e *evaluation) expired(i int, v *validator, raw any) (Reason, bool) {
	if !v.hasMaxAge || e.refreshed(i) {
		return Reason{}, false
	}
	age, known := e.age(raw)
	if known && v.maxAge > 0 && age <= v.maxAge {
		return Reason{}, false
	}
	return Reason{Message: MessageExpired, Age: age, HasAge: known, MaxAge: v.maxAge, HasMaxAge: true}, true
}

// refreshed reports whether validator i's claim was refreshed in this
// Evaluate.
func (e *evaluation) refreshed(i int) bool {
	s := e.p.slots[i]
	return s >= 0 && e.slots[s].refreshed
}

// holds reports whether a present claim value passes v's op.
func (v *validator) holds(value any) bool {
	switch v.op {
	case OpHasValue, OpIsTrue, OpIsFalse:
		return jsonEqual(value, v.expected)
	case OpExists:
		return true
	case OpOneOf:
		return contains(v.values, value)
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

// missing is the reason for an absent claim: SuperTokens names the
// expectation and leaves actualValue out.
func (v *validator) missing() Reason {
	return Reason{Message: MessageMissing, ExpectedField: v.field, Expected: v.expected}
}

// wrong is the reason for a present claim that fails the op.
func (v *validator) wrong(value any) Reason {
	return Reason{Message: MessageWrongValue, ExpectedField: v.field, Expected: v.expected,
		Actual: value, HasActual: true}
}
