package policy

import (
	"errors"
	"strconv"
)

// Sentinel errors. Compare with errors.Is.
var (
	// ErrRefreshUnavailable means a claim source failed and no usable value
	// was left. Callers answer 503 and must never let the request pass.
	// Every *RefreshError matches it.
	ErrRefreshUnavailable = errors.New("claim source unavailable")
	// ErrDenied matches every *Denial: the identity failed the policy.
	ErrDenied = errors.New("invalid claim")
	// ErrInvalidSpec means a validator cannot be compiled: unknown op,
	// wrong number of values, empty claim, negative max age, bad role.
	ErrInvalidSpec = errors.New("invalid validator")
	// ErrDuplicateID means two validators of one policy share an id.
	ErrDuplicateID = errors.New("duplicate validator id")
	// ErrUnknownID means skip (or another reference) names no validator.
	ErrUnknownID = errors.New("unknown validator id")
)

// RefreshError reports that refreshing a claim failed during Evaluate. It
// matches ErrRefreshUnavailable and wraps the Refresher's error. It never
// holds claim values or credentials.
type RefreshError struct {
	// Claim is the top-level claim that could not be refreshed.
	Claim string
	// Err is the Refresher's error.
	Err error
}

// Error describes the failure with the claim name and the cause.
func (e *RefreshError) Error() string {
	return "refreshing claim " + strconv.Quote(e.Claim) + ": " + errString(e.Err)
}

// Unwrap returns the Refresher's error.
func (e *RefreshError) Unwrap() error { return e.Err }

// Is makes every RefreshError match ErrRefreshUnavailable.
func (e *RefreshError) Is(target error) bool { return target == ErrRefreshUnavailable }

func errString(err error) string {
	if err == nil {
		return ErrRefreshUnavailable.Error()
	}
	return err.Error()
}
