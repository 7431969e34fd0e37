package oidclogin

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

const (
	// clockLeeway tolerates provider clocks slightly ahead of ours.
	clockLeeway = time.Minute
	// maxLogoutBodyBytes bounds the back-channel logout request body.
	maxLogoutBodyBytes = 64 << 10
)

var errLogoutToken = errors.New("invalid logout token")

// ServeBackchannelLogout serves POST /.authgate/backchannel-logout
// (OpenID Connect Back-Channel Logout 1.0): the provider posts a signed
// logout token, and the sessions of its sid (or of its sub) are revoked.
// It answers 200, or 400 invalid_request for a token that does not verify
// or was seen before. When the provider's keys or the store cannot be
// reached it writes nothing and returns a *verifier.UnavailableError for
// the server to answer (503).
func (s *Set) ServeBackchannelLogout(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		s.methodNotAllowed(w, r, "POST")
		return nil
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		s.badLogoutRequest(w, r, "unsupported_media_type")
		return nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLogoutBodyBytes)
	if err := r.ParseForm(); err != nil {
		s.badLogoutRequest(w, r, "malformed")
		return nil
	}
	raw := r.PostForm.Get("logout_token")
	if raw == "" || len(raw) > s.opts.MaxTokenBytes {
		s.badLogoutRequest(w, r, "missing_logout_token")
		return nil
	}
	p := s.providerFor(unverifiedClaims(raw))
	if p == nil {
		s.badLogoutRequest(w, r, "invalid_logout_token")
		return nil
	}
	n, err := p.backchannelLogout(r.Context(), raw)
	switch {
	case errors.Is(err, errLogoutToken):
		s.denied(r, http.StatusBadRequest, "invalid_logout_token")
		s.badLogoutRequest(w, r, "invalid_logout_token")
		return nil
	case errors.Is(err, errProviderUnavailable):
		return verifier.Unavailable(verifier.Reason(ReasonProviderUnavailable), err)
	case err != nil:
		return verifier.Unavailable(verifier.ReasonStoreUnavailable, err)
	}
	s.deps.requestLog().Info("back-channel logout", "oidc", p.cfg.Name, "revoked", n)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Set) badLogoutRequest(w http.ResponseWriter, r *http.Request, reason string) {
	s.writeJSON(w, r, http.StatusBadRequest, reason, `{"error":"invalid_request","reason":"`+reason+`"}`)
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
func (s *Set) providerFor(c *jwt.RegisteredClaims) *Provider {
	if c == nil || c.Issuer == "" {
		return nil
	}
	for _, p := range s.byName {
		if strings.TrimSuffix(p.cfg.Issuer, "/") == strings.TrimSuffix(c.Issuer, "/") && slices.Contains(c.Audience, p.cfg.ClientID) {
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
func (p *Provider) backchannelLogout(ctx context.Context, raw string) (int, error) {
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
	deps := p.set.deps
	user := p.subject(tok.Subject)
	if tok.Subject == "" {
		user, err = deps.Sessions.Linked(ctx, p.sidKey(tok.SessionID))
	}
	n := 0
	if err == nil {
		// Only sessions that existed when the token was issued (iat has
		// whole seconds): a replay, refused below after the fact, cannot
		// end later logins.
		issued := tok.IssuedAt.Add(time.Second)
		n, err = deps.Sessions.RevokeWhere(ctx, user, func(s *session.Session) bool {
			return s.Provider == p.cfg.Name && (tok.SessionID == "" || s.ProviderSID == tok.SessionID) && !s.Created.After(issued)
		})
	}
	if err != nil && !errors.Is(err, session.ErrNotFound) {
		return n, err
	}
	first, err := deps.Markers.Use(ctx, "oidc-bcl|"+p.cfg.Name+"|"+tok.TokenID, tok.Expiry.Add(clockLeeway))
	if err != nil {
		return n, err
	}
	if !first {
		return n, fmt.Errorf("%w: replayed", errLogoutToken)
	}
	return n, nil
}
