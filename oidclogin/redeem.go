package oidclogin

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

// login is a completed login at the provider.
type login struct {
	idToken *oidc.IDToken
	raw     string
	sid     string
	claims  map[string]any
}

// redeem exchanges the code (with the PKCE verifier) and verifies the ID
// token: signature through the provider's keys, iss, aud, expiry, azp
// and the nonce of this login.
func (p *Provider) redeem(r *http.Request, ls *LoginState, code string) (*login, *loginError) {
	if !plausibleCode(code) {
		return nil, failLogin(http.StatusBadRequest, reasonProviderError, errors.New("missing or malformed code"))
	}
	d, err := p.discovered(r.Context())
	if err != nil {
		return nil, failLogin(http.StatusServiceUnavailable, ReasonProviderUnavailable, err)
	}
	ctx, cancel := p.context(r.Context())
	defer cancel()
	tok, err := p.oauth(d, ls.Callback).Exchange(ctx, code, oauth2.VerifierOption(ls.Verifier))
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		// Log the status and error code only: the body is the provider's.
		cause := fmt.Errorf("token endpoint answered %d %q", re.Response.StatusCode, re.ErrorCode)
		if re.Response.StatusCode < 500 {
			return nil, failLogin(http.StatusUnauthorized, reasonCodeRejected, cause)
		}
		return nil, failLogin(http.StatusServiceUnavailable, ReasonProviderUnavailable, cause)
	}
	if err != nil {
		return nil, failLogin(http.StatusServiceUnavailable, ReasonProviderUnavailable, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" || len(raw) > p.set.opts.MaxTokenBytes {
		return nil, failLogin(http.StatusUnauthorized, reasonInvalidIDToken, errors.New("no usable id_token in the token response"))
	}
	vctx, keysDown := withKeysDown(ctx)
	idt, err := d.idTokens.Verify(vctx, raw)
	if *keysDown {
		return nil, failLogin(http.StatusServiceUnavailable, ReasonProviderUnavailable, err)
	}
	if err != nil {
		return nil, failLogin(http.StatusUnauthorized, reasonInvalidIDToken, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(ls.Nonce)) != 1 {
		return nil, failLogin(http.StatusUnauthorized, reasonNonceMismatch, nil)
	}
	// The exchange rule of edge sessions: the token must be fresh.
	if age := time.Since(idt.IssuedAt); idt.IssuedAt.IsZero() || age > p.set.opts.ExchangeMaxAge || age < -clockLeeway {
		return nil, failLogin(http.StatusUnauthorized, reasonInvalidIDToken, errors.New("ID token iat is missing or outside exchange_max_age"))
	}
	li := &login{idToken: idt, raw: raw}
	if err := exactClaims(idt.Claims, &li.claims); err != nil || !p.withinLimits(li.claims) {
		return nil, failLogin(http.StatusUnauthorized, reasonInvalidIDToken, err)
	}
	if le := p.checkAZP(idt, li.claims); le != nil {
		return nil, le
	}
	li.sid, _ = li.claims["sid"].(string)
	if p.cfg.Userinfo {
		if le := p.addUserinfo(ctx, d, tok, li); le != nil {
			return nil, le
		}
	}
	return li, nil
}

// checkAZP applies OpenID Connect Core 3.1.3.7: with several audiences
// the authorized party must be this client, and an azp present must be.
func (p *Provider) checkAZP(idt *oidc.IDToken, claims map[string]any) *loginError {
	azp, present := claims["azp"]
	if len(idt.Audience) > 1 && !present || present && azp != p.cfg.ClientID {
		return failLogin(http.StatusUnauthorized, reasonInvalidIDToken, errors.New("azp is not this client"))
	}
	return nil
}

// addUserinfo merges the userinfo claims into the login's; the userinfo
// subject must be the ID token's.
func (p *Provider) addUserinfo(ctx context.Context, d *discovery, tok *oauth2.Token, li *login) *loginError {
	ui, err := d.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		// go-oidc's error holds the answer's body: do not log it.
		return failLogin(http.StatusServiceUnavailable, ReasonProviderUnavailable, errors.New("userinfo request failed"))
	}
	if ui.Subject != li.idToken.Subject {
		return failLogin(http.StatusUnauthorized, reasonInvalidIDToken, errors.New("userinfo subject differs from the ID token's"))
	}
	var extra map[string]any
	if err := exactClaims(ui.Claims, &extra); err != nil {
		return failLogin(http.StatusUnauthorized, reasonInvalidIDToken, err)
	}
	for k, v := range extra {
		if !session.IsReserved(k) && !protocolClaims[k] {
			li.claims[k] = v
		}
	}
	if !p.withinLimits(li.claims) {
		return failLogin(http.StatusUnauthorized, reasonInvalidIDToken, errors.New("userinfo claims over max_claims or max_claim_depth"))
	}
	return nil
}

// withinLimits applies the app's max_claims and max_claim_depth to the
// claims a login brings.
func (p *Provider) withinLimits(claims map[string]any) bool {
	return verifier.WithinLimits(claims, p.set.opts.MaxClaims, p.set.opts.MaxClaimDepth)
}
