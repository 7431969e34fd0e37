package caddymodule

import (
	"fmt"
	"net/http"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/caddymodule/build"
	"github.com/authgate/authgate/oidclogin"
)

// provisionOIDC builds the oidc providers and registers their callbacks
// and the back-channel logout and login endpoints. Discovery runs in the
// background; a provider that cannot be reached yet makes logins answer
// 503 until it can.
func (a *App) provisionOIDC(ctx caddy.Context) error {
	if len(a.OIDC) == 0 {
		return nil
	}
	codec, err := build.LoginCodec(ctx, ctx.Storage())
	if err != nil {
		return err
	}
	a.oidc = oidclogin.NewSet(oidclogin.Options{
		EndpointPrefix:  a.EndpointPrefix,
		InsecureCookies: !a.sessions.cookie.Secure,
		MaxTokenBytes:   a.MaxTokenBytes,
		MaxClaims:       a.MaxClaims,
		MaxClaimDepth:   a.MaxClaimDepth,
		ExchangeMaxAge:  a.sessions.maxAge,
	}, a.loginDeps(ctx, codec))
	a.cleanups = append(a.cleanups, a.oidc.Close)
	a.callbacks = map[string]endpoint{}
	repl := caddy.NewReplacer()
	clients := map[string]bool{} // issuer and client_id
	for _, oc := range a.OIDC {
		if err := oc.SetDefaults(); err != nil {
			return err
		}
		// Providers handing out the same subjects are refused by
		// checkSubjects; two blocks for one client would be one login.
		if clients[oc.Issuer+"\x00"+oc.ClientID] {
			return fmt.Errorf("oidc %s: another oidc block has the same issuer and client_id", oc.Name)
		}
		clients[oc.Issuer+"\x00"+oc.ClientID] = true
		if a.oidc.Get(oc.Name) != nil {
			return fmt.Errorf("oidc %s defined twice", oc.Name)
		}
		// `verifiers` lists name oidc blocks and verifiers alike.
		if _, clash := a.verifiers[oc.Name]; clash {
			return fmt.Errorf("oidc %s: the name is taken by another verifier (jwt, introspect, dev or session)", oc.Name)
		}
		cfg, err := build.Login(oc, repl)
		if err != nil {
			return err
		}
		p, err := a.oidc.Add(ctx, cfg)
		if err != nil {
			return err
		}
		for _, path := range p.CallbackPaths() {
			a.callbacks[path] = func(_ *Handler, w http.ResponseWriter, r *http.Request) error {
				p.ServeCallback(w, r)
				return nil
			}
		}
	}
	a.registerEndpoint("login", serveLogin)
	a.registerEndpoint("backchannel-logout", serveBackchannelLogout)
	return nil
}
