package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/zap"

	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/session"
)

const (
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
// 200; 400 invalid_request for a token that does not verify or was seen
// before; 429 past the per-provider rate; 503 when the provider's keys or
// the store cannot be reached.
func serveBackchannelLogout(h *Handler, w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		return methodNotAllowed(w, r, "POST")
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return badLogoutRequest(w, r, "unsupported_media_type")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLogoutBody)
	if err := r.ParseForm(); err != nil {
		return badLogoutRequest(w, r, "malformed")
	}
	raw := r.PostForm.Get("logout_token")
	if raw == "" || len(raw) > h.app.MaxTokenSize {
		return badLogoutRequest(w, r, "missing_logout_token")
	}
	p := h.app.providerByIssuer(unverifiedIssuer(raw))
	if p == nil {
		return badLogoutRequest(w, r, "invalid_logout_token")
	}
	// Each token with an unknown kid makes go-oidc fetch the provider's
	// keys: bound what anonymous posts can make the gateway fetch.
	if !p.logoutRate.Allow() {
		w.Header().Set("Retry-After", "1")
		return writeJSON(w, r, http.StatusTooManyRequests, "rate_limited", `{"error":"rate_limited","reason":"rate_limited"}`)
	}
	n, err := p.backchannelLogout(r.Context(), raw)
	switch {
	case errors.Is(err, errLogoutToken):
		h.logDenied(r, http.StatusBadRequest, "invalid_logout_token")
		return badLogoutRequest(w, r, "invalid_logout_token")
	case errors.Is(err, errProviderUnavailable):
		return h.unavailable(w, r, reasonProviderUnavailable, 0, err)
	case err != nil:
		return h.unavailable(w, r, verifier.ReasonStoreUnavailable, 0, err)
	}
	h.logger.Info("back-channel logout", zap.String("oidc", p.cfg.Name), zap.Int("revoked", n))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	return nil
}

func badLogoutRequest(w http.ResponseWriter, r *http.Request, reason string) error {
	return writeJSON(w, r, http.StatusBadRequest, reason, `{"error":"invalid_request","reason":"`+reason+`"}`)
}

// unverifiedIssuer reads "iss" from a JWT without verifying it, only to
// pick the provider whose keys will verify it.
func unverifiedIssuer(raw string) string {
	var c jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(raw, &c); err != nil {
		return ""
	}
	return c.Issuer
}

// providerByIssuer returns the oidc provider with the given issuer.
func (a *App) providerByIssuer(iss string) *oidcProvider {
	if iss == "" {
		return nil
	}
	for _, p := range a.oidc {
		if strings.TrimSuffix(p.issuer, "/") == strings.TrimSuffix(iss, "/") {
			return p
		}
	}
	return nil
}

// backchannelLogout verifies a logout token of this provider (go-oidc:
// signature, iss, aud, exp, the logout event, no nonce, jti, sub or sid),
// refuses replays and tokens from the future, and revokes the sessions it
// names; it returns how many it revoked.
func (p *oidcProvider) backchannelLogout(ctx context.Context, raw string) (int, error) {
	d, err := p.discovered(ctx)
	if err != nil {
		return 0, err
	}
	cctx, cancel := p.context(ctx)
	defer cancel()
	tok, err := d.idTokens.VerifyLogout(cctx, raw)
	if err != nil || tok.IssuedAt.After(time.Now().Add(clockLeeway)) {
		return 0, fmt.Errorf("%w: %v", errLogoutToken, err)
	}
	es := p.app.sessions
	first, err := es.manager.Use(ctx, "oidc-bcl|"+p.cfg.Name+"|"+tok.TokenID, tok.Expiry.Add(clockLeeway))
	if err != nil {
		return 0, err
	}
	if !first {
		return 0, fmt.Errorf("%w: replayed", errLogoutToken)
	}
	user := p.subject(tok.Subject)
	if tok.Subject == "" {
		if user, err = es.manager.Linked(ctx, p.sidKey(tok.SessionID)); errors.Is(err, session.ErrNotFound) {
			return 0, nil
		} else if err != nil {
			return 0, err
		}
	}
	return es.manager.RevokeWhere(ctx, user, func(s *session.Session) bool {
		return s.Provider == p.cfg.Name && (tok.SessionID == "" || s.ProviderSID == tok.SessionID)
	})
}
