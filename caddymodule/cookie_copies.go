package caddymodule

import (
	"net/http"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/credential"
)

// Logout, exchange and login end the session of every copy of the session
// cookie (see credential.CookieCopies), and logout deny-lists every copy of
// a credential that verifies.

// revokeCarried ends the session of every copy of the session cookie r
// carries and returns the sessions it ended, in the order sent. A store
// error is returned as it is.
func (es *edgeSessions) revokeCarried(r *http.Request) ([]*session.Session, error) {
	tokens, err := credential.CookieCopies(r, es.cookie)
	if err != nil {
		return nil, err
	}
	var ended []*session.Session
	for _, tok := range tokens {
		s, err := es.manager.RevokeToken(r.Context(), tok)
		if err != nil {
			return nil, verifier.Unavailable(verifier.ReasonStoreUnavailable, err)
		}
		if s != nil {
			ended = append(ended, s)
		}
	}
	return ended, nil
}
