package sessionhttp

import (
	"errors"
	"net/http"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/credential"
)

// carriedOf returns the live session of the one session cookie r carries
// when that session is subject's; nil when r carries none, several
// copies, a dead one or another subject's (the exchange then ends them
// all and mints a new session). A store failure is an error.
func (e *Endpoints) carriedOf(r *http.Request, subject string) (*session.Session, error) {
	tokens, err := credential.CookieCopies(r, e.cfg.Cookie.Name)
	if err != nil || len(tokens) != 1 {
		return nil, nil // RevokeCarried reports a malformed cookie
	}
	host := ""
	if e.cfg.HostOf != nil {
		host = e.cfg.HostOf(r.Context())
	}
	s, err := e.cfg.Sessions.Authenticate(r.Context(), tokens[0], host)
	var rejected *verifier.RejectedError
	switch {
	case errors.As(err, &rejected):
		return nil, nil
	case err != nil:
		return nil, err
	case s.UserID != subject:
		return nil, nil
	}
	return s, nil
}

// attest adds the exchanged token to s, the live session of its subject
// the request carried (Stytch's attest): the token's amr and the time join
// the session as one more factor, never its roles or other claims, and
// the session gets a new token, the old one ending at once, so a session
// planted before this authentication is worth nothing after it. The
// session keeps its origin: a token of another verifier never makes it
// valid on routes whose `verifiers` refuse that origin.
func (e *Endpoints) attest(w http.ResponseWriter, r *http.Request, rt Route, s *session.Session, id *verifier.Identity, req exchangeRequest) error {
	tok, ns, err := e.cfg.Sessions.Attest(r.Context(), s, session.Attestation{
		Verifier: id.Verifier, AMR: session.AMRFrom(id.Claims), NotAfter: e.notAfter(id), TTL: req.duration,
	})
	if errors.Is(err, session.ErrNotFound) {
		return rt.Respond(w, r, verifier.Reject(verifier.ReasonSessionRevoked, err))
	}
	if err != nil {
		return rt.Respond(w, r, verifier.Unavailable(verifier.ReasonStoreUnavailable, err))
	}
	if req.ret == returnToken {
		return e.answerToken(w, r, tok, ns)
	}
	e.cfg.Cookie.Set(w, tok, ns.Expires)
	return writeValue(w, r, http.StatusCreated, sessionView(ns))
}
