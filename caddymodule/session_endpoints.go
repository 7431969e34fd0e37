package caddymodule

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/authgate/authgate/internal/redirect"
	"github.com/authgate/authgate/oidclogin"
	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/credential"
)

// reasonTokenReused refuses a second exchange of the same IdP token.
const reasonTokenReused verifier.Reason = "token_reused"

var (
	errExchangeTooOld = errors.New("exchanged token is older than exchange_max_age")
	errNotJSON        = errors.New("body is not application/json")
)

// serveSession serves /.authgate/session: GET tells who the caller is, POST
// exchanges an identity-provider JWT for a session.
func serveSession(h *Handler, w http.ResponseWriter, r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return h.whoami(w, r)
	case http.MethodPost:
		return h.exchange(w, r)
	}
	return methodNotAllowed(w, r, "GET, HEAD, POST")
}

// serveLogout serves POST /.authgate/logout: it revokes the session of the
// request's cookie, clears the cookie, and answers 204, or 303 to a
// same-origin redirect_uri (any other target is ignored).
func serveLogout(h *Handler, w http.ResponseWriter, r *http.Request) error {
	es := h.app.sessions
	if r.Method != http.MethodPost {
		return methodNotAllowed(w, r, "POST")
	}
	if crossSite(r) {
		return forbiddenCrossSite(w, r)
	}
	// Every copy of the cookie, expired sessions too: their provider
	// session may still be alive.
	endedAll, err := es.revokeCarried(r)
	if err != nil {
		return h.respond(w, r, err)
	}
	if err := h.denyOnLogout(r, endedAll); err != nil {
		return h.respond(w, r, err)
	}
	var ended *session.Session
	for _, s := range endedAll {
		if s.Provider != "" {
			ended = s
			break
		}
	}
	es.clearCookie(w)
	h.clearCredentialCookies(w, r)
	if h.app.oidc.Len() > 0 {
		oidclogin.ForgetLogins(w)
	}
	w.Header().Set("Cache-Control", "no-store")
	target := r.URL.Query().Get("redirect_uri")
	if target != "" && !redirect.Safe(target, []string{requestOrigin(r)}) {
		target = ""
	}
	if ended != nil && ended.Provider != "" && navigable(r) {
		if h.app.oidc.ProviderLogout(w, r, ended, target) {
			return nil
		}
	}
	if target != "" {
		w.Header().Set("Location", target)
		w.WriteHeader(http.StatusSeeOther)
		return nil
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// navigable reports whether the browser goes where the answer to r sends
// it: a form post or a non-browser client, not fetch or XHR.
func navigable(r *http.Request) bool {
	mode := r.Header.Get("Sec-Fetch-Mode")
	return (mode == "" || mode == "navigate") && r.Header.Get("X-Requested-With") == ""
}

// exchange mints a session for a fresh IdP JWT (SPEC section 8: no
// cross-site browsers, Bearer or JSON only, fresh iat, once per token,
// always a new session token, any carried session revoked).
func (h *Handler) exchange(w http.ResponseWriter, r *http.Request) error {
	es := h.app.sessions
	if es.exchange == nil {
		return writeJSON(w, r, http.StatusNotFound, "exchange_disabled", `{"error":"not_found","reason":"exchange_disabled"}`)
	}
	if crossSite(r) {
		return forbiddenCrossSite(w, r)
	}
	tok, err := exchangeCredential(r, h.app.MaxTokenSize)
	if errors.Is(err, errNotJSON) {
		return writeJSON(w, r, http.StatusUnsupportedMediaType, "unsupported_media_type",
			`{"error":"unsupported_media_type","reason":"unsupported_media_type"}`)
	}
	if err != nil {
		return h.respond(w, r, err)
	}
	id, err := h.verifyExchanged(r, tok)
	if err != nil {
		return h.respond(w, r, err)
	}
	if _, err := es.revokeCarried(r); err != nil {
		return h.respond(w, r, err)
	}
	if strings.ContainsRune(id.Subject, 0) {
		// The store refuses such ids; that is the token's fault, not a 503.
		return h.respond(w, r, verifier.Reject(verifier.ReasonMalformed, nil))
	}
	ns := session.NewSession{UserID: id.Subject, Claims: customClaims(id.Claims, id.IssuedAt), Verifier: id.Verifier, SourceJTI: id.TokenID, ClaimsAt: id.IssuedAt,
		SourceKey: session.TokenKey(id), SourceExpires: h.app.acceptedUntil(id.ExpiresAt)}
	if es.cfg.BindHost {
		ns.Host = requestHost(r.Context())
	}
	newTok, s, err := es.manager.Create(r.Context(), ns)
	if err != nil {
		return h.respond(w, r, verifier.Unavailable(verifier.ReasonStoreUnavailable, err))
	}
	es.setCookie(w, newTok, s.Expires)
	return writeValue(w, r, http.StatusCreated, sessionView(s))
}

// verifyExchanged verifies an IdP token for exchange and consumes it.
func (h *Handler) verifyExchanged(r *http.Request, tok string) (*verifier.Identity, error) {
	es := h.app.sessions
	if len(tok) > h.app.MaxTokenSize {
		return nil, verifier.Reject(verifier.ReasonTooLarge, nil)
	}
	cred := verifier.Credential{Source: verifier.Source{Kind: verifier.SourceHeader, Name: "Authorization", Scheme: "Bearer"}, Value: tok}
	h.app.noteClientIP(r)
	id, err := es.exchange.Verify(clientContext(r), cred)
	var rejected *verifier.RejectedError
	if errors.Is(err, verifier.ErrNotResponsible) && !errors.As(err, &rejected) {
		return nil, verifier.Reject(verifier.ReasonBadIssuer, err)
	}
	if err != nil {
		return nil, err
	}
	if id.IssuedAt.IsZero() || time.Since(id.IssuedAt) > es.maxAge {
		return nil, verifier.Reject(verifier.ReasonTooOld, errExchangeTooOld)
	}
	denied, err := es.manager.Denied(r.Context(), id)
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
	first, err := es.manager.UseIssued(r.Context(), key, id.IssuedAt, h.app.acceptedUntil(id.ExpiresAt))
	if err != nil {
		return nil, verifier.Unavailable(verifier.ReasonStoreUnavailable, err)
	}
	if !first {
		return nil, verifier.Reject(reasonTokenReused, nil)
	}
	return id, nil
}

// exchangeCredential reads the token to exchange from the Authorization
// header or a JSON body {"id_token": "…"} of bounded size. An HTML form
// can send neither, which is what keeps cross-site forms out.
func exchangeCredential(r *http.Request, maxSize int) (string, error) {
	bearer := verifier.Source{Kind: verifier.SourceHeader, Name: "Authorization", Scheme: "Bearer"}
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
	data, err := io.ReadAll(io.LimitReader(r.Body, int64(maxSize)+1024))
	if err != nil || json.Unmarshal(data, &body) != nil {
		return "", verifier.Reject(verifier.ReasonMalformed, errors.New("exchange body is not a JSON object with id_token"))
	}
	if body.IDToken == "" {
		return "", verifier.ErrNoCredential
	}
	return body.IDToken, nil
}

// customClaims copies the token's claims without the registered ones,
// which describe the token rather than the user.
//
// Session claim times are trusted (the gateway writes them), token claim
// times are not: every SuperTokens value {"v","t"} from the token, at any
// depth, is stored with t capped at the token's iat, so a value never looks
// fresher than the token that carried it, and a future t counts as iat.
func customClaims(claims map[string]any, iat time.Time) map[string]any {
	if iat.IsZero() {
		iat = time.Now()
	}
	out := make(map[string]any, len(claims))
	for k, v := range claims {
		if !session.IsReserved(k) {
			out[k] = v
		}
	}
	return verifier.CapClaimTimes(out, iat)
}

// whoami answers GET /.authgate/session with the caller's identity.
func (h *Handler) whoami(w http.ResponseWriter, r *http.Request) error {
	id, err := h.authenticate(r)
	if err != nil {
		return h.respond(w, r, err)
	}
	view := map[string]any{"user_id": id.Subject, "verifier": id.Verifier, "claims": id.Claims}
	if id.SessionID != "" {
		view["session_id"] = id.SessionID
	}
	if !id.ExpiresAt.IsZero() {
		view["expires_at"] = id.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return writeValue(w, r, http.StatusOK, view)
}

// sessionView is the JSON of a session in endpoint and admin answers. It
// never includes the token or its hash.
func sessionView(s *session.Session) map[string]any {
	claims := s.Claims
	if claims == nil {
		claims = map[string]any{}
	}
	return map[string]any{
		"session_id": s.ID, "user_id": s.UserID, "claims": claims,
		"created_at":      s.Created.UTC().Format(time.RFC3339),
		"last_seen_at":    s.LastSeen.UTC().Format(time.RFC3339),
		"idle_expires_at": s.IdleExpires.UTC().Format(time.RFC3339),
		"expires_at":      s.Expires.UTC().Format(time.RFC3339),
	}
}

// writeValue writes v as a JSON response that is never cached.
func writeValue(w http.ResponseWriter, r *http.Request, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return caddyhttp.Error(http.StatusInternalServerError, err)
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return nil
	}
	_, err = w.Write(body)
	return err
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) error {
	w.Header().Set("Allow", allow)
	return writeJSON(w, r, http.StatusMethodNotAllowed, "method_not_allowed", `{"error":"method_not_allowed"}`)
}

func forbiddenCrossSite(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, r, http.StatusForbidden, "cross_site", `{"error":"forbidden","reason":"cross_site"}`)
}
