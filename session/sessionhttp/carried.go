package sessionhttp

import (
	"net/http"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/credential"
)

// Logout, exchange and login end the session of every copy of the session
// cookie (see credential.CookieCopies), and logout deny-lists every copy of
// a credential that verifies.

// RevokeCarried ends the session of every copy of the session cookie r
// carries, and of every session token it sends as Authorization Bearer
// (bearer on or off: holding a token is all it takes to end it), expired
// sessions included, and returns the sessions it ended, in the order sent.
// Too many copies is a malformed-credential rejection; a store failure is
// a verifier.UnavailableError. Exchange, logout and browser login call it
// before anything else touches the cookie.
func (e *Endpoints) RevokeCarried(r *http.Request) ([]*session.Session, error) {
	tokens, err := credential.CookieCopies(r, e.cfg.Cookie.Name)
	if err != nil {
		return nil, err
	}
	bearers, err := bearerCopies(r)
	if err != nil {
		return nil, err
	}
	tokens = append(tokens, bearers...)
	var ended []*session.Session
	for _, tok := range tokens {
		s, err := e.cfg.Sessions.RevokeToken(r.Context(), tok)
		if err != nil {
			return nil, verifier.Unavailable(verifier.ReasonStoreUnavailable, err)
		}
		if s != nil {
			ended = append(ended, s)
		}
	}
	return ended, nil
}
