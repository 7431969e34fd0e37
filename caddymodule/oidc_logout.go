package caddymodule

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/zap"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

const (
	// clockLeeway tolerates provider clocks slightly ahead of ours.
	clockLeeway = time.Minute
	// maxLogoutBody bounds the back-channel logout request body.
	maxLogoutBody = 64 << 10
)

var errLogoutToken = errors.New("invalid logout token")

// providerLogout ends the provider's session too (OpenID Connect
// RP-Initiated Logout 1.0) after the edge session s was revoked, when s
// came from a provider that has an end_session_endpoint: the browser gets
// a page that posts id_token_hint, client_id and post_logout_redirect_uri
// there. A POST keeps the ID token out of URLs and so out of access logs
// and browser history. It reports false when there is nothing to do.
func (h *Handler) providerLogout(w http.ResponseWriter, r *http.Request, s *session.Session, target string) (bool, error) {
	p := h.app.oidc[s.Provider]
	if p == nil {
		return false, nil
	}
	d, err := p.discovered(r.Context())
	if err != nil || d.endSession == "" {
		return false, nil // the edge session is over; the provider's is its own
	}
	back := target
	if back == "" {
		back = "/"
	}
	fields := [][2]string{{"client_id", p.cfg.ClientID}}
	if back = p.postLogoutURL(r, back); back != "" {
		fields = append(fields, [2]string{"post_logout_redirect_uri", back})
	}
	if s.IDToken != "" {
		fields = append(fields, [2]string{"id_token_hint", s.IDToken})
	}
	return true, writeAutoPost(w, d.endSession, fields)
}

// postLogoutURL makes a same-origin return path absolute on the origin
// of the callback URL configured for r's Host, never on the Host header
// itself; an absolute one must be on that origin. Otherwise the provider
// gets no post_logout_redirect_uri.
func (p *oidcProvider) postLogoutURL(r *http.Request, back string) string {
	cb, ok := p.callbackURLs[strings.ToLower(r.Host)]
	if !ok {
		return ""
	}
	origin := cb.Scheme + "://" + cb.Host
	if strings.HasPrefix(back, "/") {
		return origin + back
	}
	if u, err := url.Parse(back); err != nil || !strings.EqualFold(u.Scheme+"://"+u.Host, origin) {
		return ""
	}
	return back
}

// autoPostScript submits the page's form; the CSP allows it by hash.
const autoPostScript = `document.forms[0].submit()`

var autoPostCSP = func() string {
	sum := sha256.Sum256([]byte(autoPostScript))
	return "default-src 'none'; script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

// writeAutoPost answers with a page whose form posts fields to action at
// once (with a button for browsers without JavaScript).
func writeAutoPost(w http.ResponseWriter, action string, fields [][2]string) error {
	var b strings.Builder
	b.WriteString(`<!doctype html><meta charset="utf-8"><title>Signing out</title><form method="post" action="`)
	b.WriteString(html.EscapeString(action))
	b.WriteString(`">`)
	for _, f := range fields {
		b.WriteString(`<input type="hidden" name="` + html.EscapeString(f[0]) + `" value="` + html.EscapeString(f[1]) + `">`)
	}
	b.WriteString(`<noscript><button type="submit">Continue signing out</button></noscript></form><script>` + autoPostScript + `</script>`)
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Content-Security-Policy", autoPostCSP)
	hdr.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write([]byte(b.String()))
	return err
}

// serveBackchannelLogout serves POST /.authgate/backchannel-logout (OpenID
// Connect Back-Channel Logout 1.0): the provider posts a signed logout
// token, and the sessions of its sid (or of its sub) are revoked. Answers
// 200; 400 invalid_request for a token that does not verify or was seen
// before; 503 when the provider's keys or the store cannot be reached.
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
	p := h.app.providerFor(unverifiedClaims(raw))
	if p == nil {
		return badLogoutRequest(w, r, "invalid_logout_token")
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

// unverifiedClaims reads "iss" and "aud" from a JWT without verifying it,
// only to pick the provider whose keys will verify it.
func unverifiedClaims(raw string) *jwt.RegisteredClaims {
	var c jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(raw, &c); err != nil {
		return nil
	}
	return &c
}

// providerFor returns the oidc provider a token claims to come from: its
// issuer, with this client among the audiences (two oidc blocks may be two
// clients of one issuer).
func (a *App) providerFor(c *jwt.RegisteredClaims) *oidcProvider {
	if c == nil || c.Issuer == "" {
		return nil
	}
	for _, p := range a.oidc {
		if strings.TrimSuffix(p.issuer, "/") == strings.TrimSuffix(c.Issuer, "/") && slices.Contains(c.Audience, p.cfg.ClientID) {
			return p
		}
	}
	return nil
}

// backchannelLogout verifies a logout token of this provider (go-oidc:
// signature, iss, aud, exp, the logout event, no nonce, jti, sub or sid;
// here: an iat, not in the future), revokes the sessions it names, and
// then refuses a replay of it. Revocation comes first: if the store fails,
// the provider's retry must not be taken for a replay. It returns how many
// sessions it revoked.
func (p *oidcProvider) backchannelLogout(ctx context.Context, raw string) (int, error) {
	d, err := p.discovered(ctx)
	if err != nil {
		return 0, err
	}
	cctx, cancel := p.context(ctx)
	defer cancel()
	cctx, keysDown := withKeysDown(cctx)
	tok, err := d.idTokens.VerifyLogout(cctx, raw)
	if *keysDown {
		return 0, fmt.Errorf("%w: %v", errProviderUnavailable, err)
	}
	if err != nil || tok.IssuedAt.IsZero() || tok.IssuedAt.After(time.Now().Add(clockLeeway)) {
		return 0, fmt.Errorf("%w: %v", errLogoutToken, err)
	}
	es := p.app.sessions
	user := p.subject(tok.Subject)
	if tok.Subject == "" {
		user, err = es.manager.Linked(ctx, p.sidKey(tok.SessionID))
	}
	n := 0
	if err == nil {
		// Only sessions that existed when the token was issued (iat has
		// whole seconds): a replay, refused below after the fact, cannot
		// end later logins.
		issued := tok.IssuedAt.Add(time.Second)
		n, err = es.manager.RevokeWhere(ctx, user, func(s *session.Session) bool {
			return s.Provider == p.cfg.Name && (tok.SessionID == "" || s.ProviderSID == tok.SessionID) && !s.Created.After(issued)
		})
	}
	if err != nil && !errors.Is(err, session.ErrNotFound) {
		return n, err
	}
	first, err := es.manager.Use(ctx, "oidc-bcl|"+p.cfg.Name+"|"+tok.TokenID, tok.Expiry.Add(clockLeeway))
	if err != nil {
		return n, err
	}
	if !first {
		return n, fmt.Errorf("%w: replayed", errLogoutToken)
	}
	return n, nil
}
