package oidctest

import (
	"encoding/json"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"
	fjwt "github.com/ory/fosite/token/jwt"
)

// sidCookie holds the provider session id in the browser, so a second
// login from the same cookie jar keeps its "sid", as at a real provider.
const sidCookie = "op_sid"

// discovery serves the OpenID Provider Metadata (OpenID Connect Discovery
// 1.0 section 3).
func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	doc := map[string]any{
		"issuer":                                p.issuer,
		"authorization_endpoint":                p.issuer + "/authorize",
		"token_endpoint":                        p.issuer + "/token",
		"userinfo_endpoint":                     p.issuer + "/userinfo",
		"jwks_uri":                              p.issuer + "/jwks",
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token"},
		"scopes_supported":                      scopes,
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "sid", "azp"},
		"backchannel_logout_supported":          true,
		"backchannel_logout_session_supported":  true,
	}
	if !p.opts.NoEndSession {
		doc["end_session_endpoint"] = p.issuer + "/logout"
	}
	writeJSON(w, http.StatusOK, doc)
}

// publishJWKS serves the public signing key.
func (p *Provider) publishJWKS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(p.jwks)
}

// authorize is the authorization endpoint. fosite validates the request
// (client, redirect URI, scopes, response type, state length) before the
// user is asked anything; PKCE is checked when the code is issued.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar, err := p.oauth.NewAuthorizeRequest(ctx, r)
	if err != nil {
		p.oauth.WriteAuthorizeError(ctx, w, ar, err)
		return
	}
	sub := p.loginSubject(r)
	if sub == "" {
		writeLoginForm(w, ar.GetRequestForm())
		return
	}
	for _, s := range ar.GetRequestedScopes() {
		ar.GrantScope(s)
	}
	sid := p.sessionID(r, sub)
	resp, err := p.oauth.NewAuthorizeResponse(ctx, ar, p.newSession(sub, sid, ar.GetRequestedAt()))
	if err != nil {
		p.oauth.WriteAuthorizeError(ctx, w, ar, err)
		return
	}
	p.recordLogin(sub, sid)
	http.SetCookie(w, &http.Cookie{Name: sidCookie, Value: sid, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	p.oauth.WriteAuthorizeResponse(ctx, w, ar, resp)
}

// loginSubject returns who approves this request: the AutoLogin subject,
// else the username of a submitted login form, else "" (show the form).
func (p *Provider) loginSubject(r *http.Request) string {
	p.mu.Lock()
	sub := p.autoLogin
	p.mu.Unlock()
	if sub == "" && r.Method == http.MethodPost {
		sub = r.PostForm.Get("username") // fosite has parsed the form
	}
	return sub
}

// sessionID returns the session id in the browser's op_sid cookie when it
// is live and belongs to sub, else a new random one: a different user on
// the same browser gets a session of their own.
func (p *Provider) sessionID(r *http.Request, sub string) string {
	if c, err := r.Cookie(sidCookie); err == nil {
		p.mu.Lock()
		owner, ok := p.sessions[c.Value]
		p.mu.Unlock()
		if ok && owner == sub {
			return c.Value
		}
	}
	return randomID(p.t)
}

// recordLogin remembers that sub logged in with session id sid.
func (p *Provider) recordLogin(sub, sid string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sessions[sid] = sub
	p.latest[sub] = sid
}

// newSession builds the session fosite stores with the code and turns into
// the ID token. fosite adds the client ID to Audience and sets nonce, iat,
// exp and jti itself; Extra cannot override the standard claims.
func (p *Provider) newSession(sub, sid string, requestedAt time.Time) *openid.DefaultSession {
	extra := p.userClaims(sub)
	extra["sid"] = sid
	if p.opts.AZP != "" {
		extra["azp"] = p.opts.AZP
	}
	return &openid.DefaultSession{
		Subject:  sub,
		Username: sub,
		Claims: &fjwt.IDTokenClaims{
			Subject:  sub,
			Issuer:   p.issuer,
			Audience: slices.Clone(p.opts.ExtraAudience),
			// Both in whole seconds: fosite refuses prompt=login when
			// auth_time is before the request time.
			RequestedAt: requestedAt.UTC().Truncate(time.Second),
			AuthTime:    time.Now().UTC().Truncate(time.Second),
			// fosite writes "amr" from this field only (an Extra "amr"
			// is dropped), so a SetUser amr list goes here.
			AuthenticationMethodsReferences: stringList(extra["amr"]),
			Extra:                           extra,
		},
		Headers: &fjwt.Headers{Extra: map[string]any{"kid": p.kid}},
	}
}

// stringList returns the strings of a JSON list, or nil.
func stringList(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// token is the token endpoint: fosite authenticates the client, checks the
// code (single use), the PKCE verifier and the redirect URI, or the
// refresh token.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	p.tokens.Add(1)
	ctx := r.Context()
	ar, err := p.oauth.NewAccessRequest(ctx, r, openid.NewDefaultSession())
	if err != nil {
		p.oauth.WriteAccessError(ctx, w, ar, err)
		return
	}
	resp, err := p.oauth.NewAccessResponse(ctx, ar)
	if err != nil {
		p.oauth.WriteAccessError(ctx, w, ar, err)
		return
	}
	p.oauth.WriteAccessResponse(ctx, w, ar, resp)
}

// userinfo answers {sub, ...SetUser claims} for a live access token
// (Authorization: Bearer, or access_token in a form body), else 401.
func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	_, ar, err := p.oauth.IntrospectToken(ctx, fosite.AccessTokenFromRequest(r), fosite.AccessToken, openid.NewDefaultSession())
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
		return
	}
	sub := ar.GetSession().GetSubject()
	claims := p.userClaims(sub)
	claims["sub"] = sub
	writeJSON(w, http.StatusOK, claims)
}

// loginForm is the provider's sign-in page. It posts the original
// authorization request back as hidden fields, so fosite validates it
// again on submit.
var loginForm = template.Must(template.New("login").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Sign in</title></head>
<body><h1>Sign in</h1>
<form method="post" action="/authorize">
{{range .}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" autofocus>
<button id="login" type="submit">Sign in</button>
</form></body></html>
`))

// writeLoginForm renders loginForm for the authorization request form.
func writeLoginForm(w http.ResponseWriter, form url.Values) {
	type field struct{ Name, Value string }
	var fields []field
	for _, name := range slices.Sorted(maps.Keys(form)) {
		if name == "username" {
			continue
		}
		for _, v := range form[name] {
			fields = append(fields, field{name, v})
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = loginForm.Execute(w, fields)
}

// writeJSON writes v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
