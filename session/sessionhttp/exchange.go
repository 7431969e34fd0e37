package sessionhttp

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/credential"
)

// ReasonTokenReused refuses a second exchange of the same IdP token.
const ReasonTokenReused verifier.Reason = "token_reused"

var (
	errExchangeTooOld = errors.New("exchanged token is older than exchange_max_age")
	errNotJSON        = errors.New("body is not application/json")
)

// bearer is where an exchanged token is read from, and the source it is
// verified as.
var bearer = verifier.Source{Kind: verifier.SourceHeader, Name: "Authorization", Scheme: "Bearer"}

// exchange mints a session for a fresh IdP JWT. Cross-site browsers are
// refused; the token comes as a Bearer header or in a JSON body, its iat
// within ExchangeMaxAge, once per token; the answer always carries a new
// session token, and every session the request carried is revoked, so a
// planted session cannot be fixed on the browser.
func (e *Endpoints) exchange(w http.ResponseWriter, r *http.Request, rt Route) error {
	if e.cfg.Exchange == nil {
		return rt.Refuse(w, r, http.StatusNotFound, "exchange_disabled", `{"error":"not_found","reason":"exchange_disabled"}`)
	}
	if CrossSite(r) {
		return forbiddenCrossSite(w, r, rt)
	}
	tok, err := exchangeCredential(r, e.cfg.MaxTokenBytes)
	if errors.Is(err, errNotJSON) {
		return rt.Refuse(w, r, http.StatusUnsupportedMediaType, "unsupported_media_type",
			`{"error":"unsupported_media_type","reason":"unsupported_media_type"}`)
	}
	if err != nil {
		return rt.Respond(w, r, err)
	}
	id, err := e.verifyExchanged(r, tok)
	if err != nil {
		return rt.Respond(w, r, err)
	}
	if _, err := e.RevokeCarried(r); err != nil {
		return rt.Respond(w, r, err)
	}
	if strings.ContainsRune(id.Subject, 0) {
		// The store refuses such ids; that is the token's fault, not a 503.
		return rt.Respond(w, r, verifier.Reject(verifier.ReasonMalformed, nil))
	}
	ns := session.NewSession{UserID: id.Subject, Claims: customClaims(id.Claims, id.IssuedAt), Verifier: id.Verifier, SourceJTI: id.TokenID, ClaimsAt: id.IssuedAt,
		SourceKey: session.TokenKey(id), SourceExpires: e.acceptedUntil(id.ExpiresAt), AMR: session.AMRFrom(id.Claims)}
	if e.cfg.HostOf != nil {
		ns.Host = e.cfg.HostOf(r.Context())
	}
	newTok, s, err := e.cfg.Sessions.Create(r.Context(), ns)
	if err != nil {
		return rt.Respond(w, r, verifier.Unavailable(verifier.ReasonStoreUnavailable, err))
	}
	e.cfg.Cookie.Set(w, newTok, s.Expires)
	return writeValue(w, r, http.StatusCreated, sessionView(s))
}

// verifyExchanged verifies an IdP token for exchange and consumes it.
func (e *Endpoints) verifyExchanged(r *http.Request, tok string) (*verifier.Identity, error) {
	if len(tok) > e.cfg.MaxTokenBytes {
		return nil, verifier.Reject(verifier.ReasonTooLarge, nil)
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
	key := exchangeKey(id)
	if key == "" {
		return nil, verifier.Reject(verifier.ReasonMalformed, errors.New("exchanged token has neither jti nor digest"))
	}
	first, err := e.cfg.Sessions.UseIssued(r.Context(), key, id.IssuedAt, e.acceptedUntil(id.ExpiresAt))
	if err != nil {
		return nil, verifier.Unavailable(verifier.ReasonStoreUnavailable, err)
	}
	if !first {
		return nil, verifier.Reject(ReasonTokenReused, nil)
	}
	return id, nil
}

// exchangeCredential reads the token to exchange from the Authorization
// header or a JSON body {"id_token": "…"} of bounded size. An HTML form
// can send neither, which is what keeps cross-site forms out.
func exchangeCredential(r *http.Request, maxBytes int) (string, error) {
	if tok, present, err := credential.ReadHeader(r.Header, bearer); err != nil || present {
		return tok, err
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		if r.ContentLength > 0 || r.Header.Get("Content-Type") != "" {
			return "", errNotJSON
		}
		return "", verifier.ErrNoCredential
	}
	var body struct {
		IDToken string `json:"id_token"`
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, int64(maxBytes)+1024))
	if err != nil || json.Unmarshal(data, &body) != nil {
		return "", verifier.Reject(verifier.ReasonMalformed, errors.New("exchange body is not a JSON object with id_token"))
	}
	if body.IDToken == "" {
		return "", verifier.ErrNoCredential
	}
	return body.IDToken, nil
}
