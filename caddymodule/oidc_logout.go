package caddymodule

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/verifier/session"
)

const (
	// backchannelEvent is the event a logout token must carry.
	backchannelEvent = "http://schemas.openid.net/event/backchannel-logout"
	// logoutTokenMaxAge is how old (by iat) a logout token without exp
	// may be; it is also how long its jti is remembered at least.
	logoutTokenMaxAge = 5 * time.Minute
	// clockLeeway tolerates provider clocks slightly ahead of ours.
	clockLeeway = time.Minute
	// maxLogoutBody bounds the back-channel logout request body.
	maxLogoutBody = 64 << 10
)

var errLogoutToken = errors.New("invalid logout token")

// endSessionURL is where RP-initiated logout sends the browser after the
// edge session s is revoked: the provider's end_session_endpoint with the
// login's ID token as hint, or "" when s did not come from a provider that
// has one (or its configuration is not known yet).
func (a *App) endSessionURL(s *session.Session, postLogout string) string {
	p := a.oidc[s.Provider]
	if p == nil {
		return ""
	}
	d := p.disc.Load()
	if d == nil || d.endSession == "" {
		return ""
	}
	u, err := url.Parse(d.endSession)
	if err != nil {
		return ""
	}
	q := u.Query()
	if s.IDToken != "" {
		q.Set("id_token_hint", s.IDToken)
	}
	q.Set("client_id", p.cfg.ClientID)
	q.Set("post_logout_redirect_uri", postLogout)
	u.RawQuery = q.Encode()
	return u.String()
}

// serveBackchannelLogout serves POST /.authgate/backchannel-logout (OpenID
// Connect Back-Channel Logout 1.0): the provider posts a signed logout
// token, and the sessions of its sid (or of its sub) are revoked. Answers
// 200, 400 invalid_request for a token that does not verify, or 503 when
// the store or the provider's keys cannot be reached.
func serveBackchannelLogout(h *Handler, w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		return methodNotAllowed(w, r, "POST")
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return writeJSON(w, r, http.StatusBadRequest, "invalid_request", `{"error":"invalid_request","reason":"unsupported_media_type"}`)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLogoutBody)
	if err := r.ParseForm(); err != nil {
		return writeJSON(w, r, http.StatusBadRequest, "invalid_request", `{"error":"invalid_request","reason":"malformed"}`)
	}
	raw := r.PostForm.Get("logout_token")
	if raw == "" || len(raw) > h.app.MaxTokenSize {
		return writeJSON(w, r, http.StatusBadRequest, "invalid_request", `{"error":"invalid_request","reason":"missing_logout_token"}`)
	}
	for _, p := range h.app.oidc {
		n, err := p.backchannelLogout(r.Context(), raw)
		if errors.Is(err, errNotThisProvider) {
			continue
		}
		if errors.Is(err, errLogoutToken) {
			h.logDenied(r, http.StatusBadRequest, "invalid_logout_token")
			return writeJSON(w, r, http.StatusBadRequest, "invalid_request", `{"error":"invalid_request","reason":"invalid_logout_token"}`)
		}
		if err != nil {
			return h.unavailable(w, r, "store_unavailable", 0, err)
		}
		h.logger.Info("back-channel logout", zap.String("oidc", p.cfg.Name), zap.Int("revoked", n))
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		return nil
	}
	return writeJSON(w, r, http.StatusBadRequest, "invalid_request", `{"error":"invalid_request","reason":"invalid_logout_token"}`)
}

var errNotThisProvider = errors.New("logout token is not from this provider")

// logoutClaims are the members of a logout token the gateway reads.
type logoutClaims struct {
	Subject string                     `json:"sub"`
	SID     string                     `json:"sid"`
	JTI     string                     `json:"jti"`
	Nonce   *string                    `json:"nonce"`
	Events  map[string]json.RawMessage `json:"events"`
	Exp     *float64                   `json:"exp"`
}

// backchannelLogout verifies a logout token of this provider and revokes
// the sessions it names; it returns how many it revoked.
func (p *oidcProvider) backchannelLogout(ctx context.Context, raw string) (int, error) {
	d, err := p.discovered(ctx)
	if err != nil {
		return 0, errNotThisProvider
	}
	cctx, cancel := p.context(ctx)
	defer cancel()
	tok, err := d.logouts.Verify(cctx, raw)
	if err != nil {
		return 0, errNotThisProvider
	}
	var c logoutClaims
	if err := tok.Claims(&c); err != nil || !c.valid(tok.IssuedAt, time.Now()) {
		return 0, errLogoutToken
	}
	es := p.app.sessions
	until := tok.IssuedAt.Add(logoutTokenMaxAge + clockLeeway)
	if c.Exp != nil && time.Unix(int64(*c.Exp), 0).Add(clockLeeway).After(until) {
		until = time.Unix(int64(*c.Exp), 0).Add(clockLeeway)
	}
	first, err := es.manager.Use(ctx, "oidc-bcl|"+p.cfg.Name+"|"+c.JTI, until)
	if err != nil {
		return 0, err
	}
	if !first {
		return 0, errLogoutToken // a replayed logout token
	}
	user := p.subject(c.Subject)
	if c.Subject == "" {
		if user, err = es.manager.Linked(ctx, p.sidKey(c.SID)); errors.Is(err, session.ErrNotFound) {
			return 0, nil
		} else if err != nil {
			return 0, err
		}
	}
	return es.manager.RevokeWhere(ctx, user, func(s *session.Session) bool {
		return s.Provider == p.cfg.Name && (c.SID == "" || s.ProviderSID == c.SID)
	})
}

// valid applies Back-Channel Logout 1.0 section 2.6 to the claims: the
// logout event, no nonce, a jti, a sub or sid, and a recent iat (or an
// unexpired exp).
func (c *logoutClaims) valid(iat, now time.Time) bool {
	ev, ok := c.Events[backchannelEvent]
	if !ok || len(ev) == 0 || ev[0] != '{' || c.Nonce != nil || c.JTI == "" || c.Subject == "" && c.SID == "" {
		return false
	}
	if iat.IsZero() || iat.After(now.Add(clockLeeway)) {
		return false
	}
	if c.Exp != nil {
		return now.Before(time.Unix(int64(*c.Exp), 0).Add(clockLeeway))
	}
	return now.Sub(iat) <= logoutTokenMaxAge
}
