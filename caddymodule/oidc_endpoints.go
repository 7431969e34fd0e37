package caddymodule

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/caddymodule/pools"
	"github.com/authgate/authgate/caddymodule/zaplog"
	"github.com/authgate/authgate/oidclogin"
	"github.com/authgate/authgate/verifier"
)

// serveLogin serves GET /.authgate/login: a login started by a link in the
// app, at the route's own provider when it has one.
func serveLogin(h *Handler, w http.ResponseWriter, r *http.Request) error {
	h.deps.logins.ServeLogin(w, r, h.login)
	return nil
}

// serveBackchannelLogout serves POST /.authgate/backchannel-logout; the
// provider's keys or the store being down is answered here (503).
func serveBackchannelLogout(h *Handler, w http.ResponseWriter, r *http.Request) error {
	if err := h.deps.logins.ServeBackchannelLogout(w, r); err != nil {
		return h.respond(w, r, err)
	}
	return nil
}

// loginDeps wires the oidc providers to the app: edge sessions, the
// shared key pool, Caddy's view of requests, and the loggers: the app's
// for discovery, the handler's (http.handlers.authgate, where every other
// line about a request goes) for what the logins log about requests.
func (a *App) loginDeps(ctx caddy.Context, codec *oidclogin.Codec) oidclogin.Deps {
	return oidclogin.Deps{
		Sessions: a.sessions.manager,
		Markers:  a.sessions.manager,
		Cookies:  loginSessionCookies{a.sessions},
		Requests: loginRequests{a},
		Keys: func(_ context.Context, jwksURL string) (verifier.KeySource, func() error, error) {
			keys, poolKey, err := pools.LoadRemoteKeys(ctx, a.logger, &config.JWTConfig{}, jwksURL)
			if err != nil {
				return nil, nil, err
			}
			return keys, func() error { _, err := pools.ReleaseRemoteKeys(poolKey); return err }, nil
		},
		Codec:      codec,
		Log:        zaplog.NewKVLogger(a.logger),
		RequestLog: zaplog.NewKVLogger(ctx.Logger(Handler{})),
		Observer:   a.loginObserver(),
	}
}

// loginSessionCookies is the session cookie as logins use it.
type loginSessionCookies struct{ es *edgeSessions }

func (c loginSessionCookies) Carried(r *http.Request) bool { return c.es.cookie.Token(r) != "" }

func (c loginSessionCookies) EndCarried(r *http.Request) error {
	_, err := c.es.http.RevokeCarried(r)
	return err
}

func (c loginSessionCookies) Set(w http.ResponseWriter, token string, expires time.Time) {
	c.es.cookie.Set(w, token, expires)
}

func (c loginSessionCookies) BoundHost(r *http.Request) string {
	if c.es.cfg.BindHost {
		return requestHost(r.Context())
	}
	return ""
}

// loginRequests is Caddy's view of a request, for logins.
type loginRequests struct{ app *App }

// ClientKey is the client r counts against (see clientKey), and warns once
// when Caddy's client IP cannot tell clients apart (see noteClientIP).
func (q loginRequests) ClientKey(r *http.Request) string {
	q.app.noteClientIP(r)
	return clientKey(r)
}

func (loginRequests) Scheme(r *http.Request) string { return requestScheme(r) }

func (loginRequests) OriginalURL(r *http.Request) *url.URL { return originalURL(r) }

func (loginRequests) Answered(r *http.Request, status int, reason string) {
	setErrorPlaceholders(r, status, reason)
}

// requestScheme is the scheme the client used: https when Caddy
// terminated TLS, or when a proxy in Caddy's trusted_proxies says so in
// X-Forwarded-Proto; otherwise http. An untrusted client's forwarded
// headers count for nothing.
func requestScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	if trusted, _ := caddyhttp.GetVar(r.Context(), caddyhttp.TrustedProxyVarKey).(bool); trusted &&
		strings.EqualFold(strings.TrimSpace(strings.Split(r.Header.Get("X-Forwarded-Proto"), ",")[0]), "https") {
		return "https"
	}
	return "http"
}
