package sessionhttp

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

// ReasonTokenReused refuses a second exchange of the same IdP token.
const ReasonTokenReused verifier.Reason = "token_reused"

var (
	errExchangeTooOld = errors.New("exchanged token is older than exchange_max_age")
	errNotJSON        = errors.New("body is not application/json")
	errBoundExpired   = errors.New("exchanged token expires before a session bound to it could start")
)

// bearer is where an exchanged token is read from, and the source it is
// verified as.
var bearer = verifier.Source{Kind: verifier.SourceHeader, Name: "Authorization", Scheme: "Bearer"}

// exchange mints a session for a fresh IdP JWT. Cross-site browsers are
// refused; the token comes as a Bearer header or in a JSON body, its iat
// within ExchangeMaxAge, once per token; the answer always carries a new
// session token, and every session the request carried is revoked, so a
// planted session cannot be fixed on the browser. A request carrying a
// live session of the token's own subject attests it instead (see
// attest).
func (e *Endpoints) exchange(w http.ResponseWriter, r *http.Request, rt Route) error {
	if e.cfg.Exchange == nil {
		return rt.Refuse(w, r, http.StatusNotFound, "exchange_disabled", `{"error":"not_found","reason":"exchange_disabled"}`)
	}
	if CrossSite(r) {
		return forbiddenCrossSite(w, r, rt)
	}
	req, err := readExchange(r, e.cfg.MaxTokenBytes)
	if err == nil && req.duration > e.cfg.Lifetime {
		err = &badExchange{ReasonSessionDurationTooLong}
	}
	var bad *badExchange
	switch {
	case errors.Is(err, errNotJSON):
		return rt.Refuse(w, r, http.StatusUnsupportedMediaType, "unsupported_media_type",
			`{"error":"unsupported_media_type","reason":"unsupported_media_type"}`)
	case errors.As(err, &bad):
		return rt.Refuse(w, r, http.StatusBadRequest, bad.reason, `{"error":"bad_request","reason":"`+bad.reason+`"}`)
	case err != nil:
		return rt.Respond(w, r, err)
	}
	// Checked before the token is used up: a refused request must not
	// spend it.
	if reason := e.refusedReturn(req.ret); reason != "" {
		return rt.Refuse(w, r, http.StatusBadRequest, reason, `{"error":"invalid_request","reason":"`+reason+`"}`)
	}
	id, err := e.verifyExchanged(r, req.token)
	if err != nil {
		return rt.Respond(w, r, err)
	}
	if s, err := e.carriedOf(r, id.Subject); err != nil {
		return rt.Respond(w, r, err)
	} else if s != nil {
		return e.attest(w, r, rt, s, id, req)
	}
	if _, err := e.RevokeCarried(r); err != nil {
		return rt.Respond(w, r, err)
	}
	if strings.ContainsRune(id.Subject, 0) {
		// The store refuses such ids; that is the token's fault, not a 503.
		return rt.Respond(w, r, verifier.Reject(verifier.ReasonMalformed, nil))
	}
	// Claims are never fresher than now, even when the token's issue time
	// (an introspection answer's) lies ahead.
	claimsAt := id.IssuedAt
	if now := time.Now(); claimsAt.After(now) {
		claimsAt = now
	}
	ns := session.NewSession{UserID: id.Subject, Claims: customClaims(id.Claims, claimsAt), Verifier: id.Verifier, SourceJTI: id.TokenID, ClaimsAt: claimsAt,
		SourceKey: session.TokenKey(id), SourceExpires: e.acceptedUntil(id.ExpiresAt), AMR: session.AMRFrom(id.Claims),
		TTL: req.duration, NotAfter: e.notAfter(id)}
	if e.cfg.HostOf != nil {
		ns.Host = e.cfg.HostOf(r.Context())
	}
	newTok, s, err := e.cfg.Sessions.Create(r.Context(), ns)
	if err != nil {
		return rt.Respond(w, r, verifier.Unavailable(verifier.ReasonStoreUnavailable, err))
	}
	if req.ret == returnToken {
		return e.answerToken(w, r, newTok, s)
	}
	e.cfg.Cookie.Set(w, newTok, s.Expires)
	return writeValue(w, r, http.StatusCreated, sessionView(s))
}

// verifyExchanged verifies an IdP token for exchange and consumes it.
func (e *Endpoints) verifyExchanged(r *http.Request, tok string) (*verifier.Identity, error) {
	if len(tok) > e.cfg.MaxTokenBytes {
		return nil, verifier.Reject(verifier.ReasonTooLarge, nil)
	}
	if session.HasTokenPrefix(tok) {
		// A session token is no identity-provider token, and must never
		// reach a verifier that could send it out (introspection).
		return nil, verifier.Reject(verifier.ReasonBadIssuer, errors.New("a session token cannot be exchanged"))
	}
	id, err := e.cfg.Exchange.Verify(e.cfg.ClientContext(r), verifier.Credential{Source: bearer, Value: tok})
	var rejected *verifier.RejectedError
	if errors.Is(err, verifier.ErrNotResponsible) && !errors.As(err, &rejected) {
		return nil, verifier.Reject(verifier.ReasonBadIssuer, err)
	}
	if err != nil {
		return nil, err
	}
	if id.IssuedAt.IsZero() || time.Since(id.IssuedAt) > e.cfg.ExchangeMaxAge {
		return nil, verifier.Reject(verifier.ReasonTooOld, errExchangeTooOld)
	}
	denied, err := e.cfg.Sessions.Denied(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if denied {
		return nil, verifier.Reject(verifier.ReasonTokenRevoked, nil)
	}
	if end := e.notAfter(id); !end.IsZero() && !time.Now().Before(end) {
		return nil, verifier.Reject(verifier.ReasonTokenExpired, errBoundExpired)
	}
	key := exchangeKey(id)
	if key == "" {
		return nil, verifier.Reject(verifier.ReasonMalformed, errors.New("exchanged token has neither jti nor digest"))
	}
	// Kept until the token can no longer be exchanged: past its exp (and
	// the leeway), or once it is too old, whichever is later (an
	// introspected token may report no expiry).
	until := e.acceptedUntil(id.ExpiresAt)
	if tooOld := id.IssuedAt.Add(e.cfg.ExchangeMaxAge); tooOld.After(until) {
		until = tooOld
	}
	first, err := e.cfg.Sessions.UseIssued(r.Context(), key, id.IssuedAt, until)
	if err != nil {
		return nil, verifier.Unavailable(verifier.ReasonStoreUnavailable, err)
	}
	if !first {
		return nil, verifier.Reject(ReasonTokenReused, nil)
	}
	return id, nil
}

// notAfter is the latest a session exchanged from id may end: the token's
// expiry with bind_to_token, and always for the verifiers in
// BoundVerifiers (a session migrated from another service never outlives
// the expiry that service reported). Zero: no bound.
func (e *Endpoints) notAfter(id *verifier.Identity) time.Time {
	if e.cfg.BindToToken || e.cfg.BoundVerifiers[id.Verifier] {
		return id.ExpiresAt
	}
	return time.Time{}
}
