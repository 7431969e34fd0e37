package verifier

import (
	"errors"
	"time"
)

// Sentinel errors. Compare with errors.Is.
var (
	// ErrNoCredential means the request carried no credential at all.
	ErrNoCredential = errors.New("no credential")
	// ErrNotResponsible means a verifier does not handle this credential and
	// the caller should try the next one.
	ErrNotResponsible = errors.New("verifier not responsible for credential")
)

// Reason is a stable, machine-readable code for why a credential was refused
// or could not be checked. Reason codes appear in response bodies and logs;
// they never contain any part of the credential.
type Reason string

// Reason codes for rejected credentials (HTTP 401).
const (
	ReasonMissingCredential Reason = "missing_credential"
	ReasonTokenExpired      Reason = "token_expired"
	ReasonNotYetValid       Reason = "token_not_yet_valid"
	ReasonBadSignature      Reason = "bad_signature"
	ReasonUnknownKey        Reason = "unknown_key"
	ReasonBadIssuer         Reason = "bad_issuer"
	ReasonBadAudience       Reason = "bad_audience"
	ReasonBadType           Reason = "bad_type"
	ReasonUnsupportedCrit   Reason = "unsupported_crit"
	ReasonAlgNotAllowed     Reason = "alg_not_allowed"
	ReasonMalformed         Reason = "malformed"
	ReasonTooLarge          Reason = "too_large"
	ReasonTooOld            Reason = "too_old"
	ReasonTokenRevoked      Reason = "token_revoked"
	ReasonSessionRevoked    Reason = "session_revoked"
	ReasonSessionExpired    Reason = "session_expired"
	ReasonInactive          Reason = "inactive"
)

// ReasonUnsupportedBinding (HTTP 401) refuses a sender-constrained token
// (one with a cnf claim) presented as a plain bearer token.
const ReasonUnsupportedBinding Reason = "unsupported_binding"

// Reason codes for technical failures (HTTP 503).
const (
	ReasonKeysUnavailable          Reason = "keys_unavailable"
	ReasonStoreUnavailable         Reason = "store_unavailable"
	ReasonIntrospectionUnavailable Reason = "introspection_unavailable"
)

// ReasonRateLimited reports a client over its own budget (HTTP 429): it is
// carried by an *UnavailableError, because no decision was reached, but the
// fault is the client's, not a dependency's.
const ReasonRateLimited Reason = "rate_limited"

// RejectedError reports a credential that was present, addressed to the
// verifier, and invalid. It maps to HTTP 401.
type RejectedError struct {
	Reason Reason
	// Err is the underlying cause, for logs at debug level. It never holds
	// the credential itself.
	Err error
}

func (e *RejectedError) Error() string {
	if e.Err != nil {
		return "rejecting credential: " + string(e.Reason) + ": " + e.Err.Error()
	}
	return "rejecting credential: " + string(e.Reason)
}

func (e *RejectedError) Unwrap() error { return e.Err }

// Reject returns a *RejectedError with the given reason and cause.
func Reject(reason Reason, cause error) error {
	return &RejectedError{Reason: reason, Err: cause}
}

// UnavailableError reports that a verifier could not reach a decision
// because a dependency failed. It maps to HTTP 503 and must never be treated
// as a pass.
type UnavailableError struct {
	Reason Reason
	// RetryAfter is a hint for the Retry-After header; zero means unknown.
	RetryAfter time.Duration
	Err        error
}

func (e *UnavailableError) Error() string {
	if e.Err != nil {
		return "verifying credential: " + string(e.Reason) + ": " + e.Err.Error()
	}
	return "verifying credential: " + string(e.Reason)
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Unavailable returns an *UnavailableError with the given reason and cause.
func Unavailable(reason Reason, cause error) error {
	return &UnavailableError{Reason: reason, Err: cause}
}

// ReasonOf returns the reason code carried by err, or "" when err is neither
// a *RejectedError nor an *UnavailableError. ErrNoCredential maps to
// ReasonMissingCredential.
func ReasonOf(err error) Reason {
	var rej *RejectedError
	if errors.As(err, &rej) {
		return rej.Reason
	}
	var un *UnavailableError
	if errors.As(err, &un) {
		return un.Reason
	}
	if errors.Is(err, ErrNoCredential) {
		return ReasonMissingCredential
	}
	return ""
}
