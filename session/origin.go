package session

import "errors"

var errOrigin = errors.New("session was created by a verifier this route does not accept")

// Origin names what created the session, for routes that accept sessions
// of some verifiers only: the oidc block of a login (Provider), the
// verifier whose token was exchanged (Verifier), or VerifierName for
// sessions made through the admin API. Records have carried Verifier since
// sessions exist and Provider since OIDC logins exist, so older records
// are classified as they were created.
func (s *Session) Origin() string {
	switch {
	case s.Provider != "":
		return s.Provider
	case s.Verifier != "":
		return s.Verifier
	}
	return VerifierName
}
