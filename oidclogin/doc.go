// Package oidclogin is the gateway's OpenID Connect relying party: browser
// login with the authorization-code flow and PKCE, ending in an edge
// session. It owns discovery, the provider's signing keys, the sealed
// login-state cookies, the callback's checks (state, code redemption, ID
// token, nonce, azp, userinfo), the redirect_uri taken from configured
// callback URLs, RP-initiated and back-channel logout, the login-loop
// guard, and the per-client limits of login starts and failed callbacks.
//
// It works through small interfaces it declares (Sessions, Markers,
// SessionCookies, Requests, Logger, KeyLoader, and an optional Observer of
// logins), which the server glue implements. It must not import Caddy, certmagic or zap, and nothing of
// the glue (caddymodule).
package oidclogin
