package caddymodule

import (
	"errors"
	"net/http"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

// Every copy of a cookie counts where a credential is ended. A browser can
// hold one cookie name several times (copies at other Paths, one set for
// the parent domain by a sibling subdomain), and r.Cookie returns only the
// first: a decoy copy placed first would let the real session or token
// outlive a logout, or a planted session outlive the exchange or login
// meant to replace it. So logout, exchange and login end the session of
// every copy of the session cookie, and logout deny-lists every copy of a
// credential that verifies. Ending a session or a token the caller holds is
// harmless, whosever it is: holding it is all it takes to use it.

// maxCredentialCopies bounds the copies of one cookie a request may ask
// the gateway to end, so that one request cannot cost thousands of store
// calls or signature checks.
const maxCredentialCopies = 8

var errTooManyCopies = verifier.Reject(verifier.ReasonMalformed, errors.New("cookie sent too many times"))

// cookieCopies returns the non-empty value of every copy of cookie name in
// r, in the order sent, or errTooManyCopies.
func cookieCopies(r *http.Request, name string) ([]string, error) {
	var out []string
	for _, c := range r.CookiesNamed(name) {
		if c.Value != "" {
			out = append(out, c.Value)
		}
	}
	if len(out) > maxCredentialCopies {
		return nil, errTooManyCopies
	}
	return out, nil
}

// revokeCarried ends the session of every copy of the session cookie r
// carries and returns the sessions it ended, in the order sent. A store
// error is returned as it is.
func (es *edgeSessions) revokeCarried(r *http.Request) ([]*session.Session, error) {
	tokens, err := cookieCopies(r, es.cookie)
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

// sourceCopies returns the values of source s that logout should try to
// end: every copy of a cookie, and every well-framed value of a header in
// the source's scheme, in any folded spelling. A decoy placed in a first
// copy must not let the real credential survive; logout ends them all
// rather than refusing, so a user can always log out.
func sourceCopies(r *http.Request, s verifier.Source) ([]string, error) {
	if s.Kind == verifier.SourceCookie {
		return cookieCopies(r, s.Name)
	}
	var values []string
	for name, lines := range r.Header {
		if !foldEqual(name, s.Name) {
			continue
		}
		for _, line := range lines {
			if tok, ours, ok := parseCredentialHeader(line, s.Scheme); ours && ok {
				values = append(values, tok)
			}
		}
		if len(values) > maxCredentialCopies {
			return nil, malformed("credential header sent too many times")
		}
	}
	return values, nil
}
