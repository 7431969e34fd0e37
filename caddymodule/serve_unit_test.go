package caddymodule

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/forward"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/credential"
)

// These tests drive ServeHTTP on a handler built by hand, with fake
// verifiers: each branch of the request path without an in-process Caddy.

// fixedVerifier answers every credential with the same identity or error.
type fixedVerifier struct {
	id  *verifier.Identity
	err error
}

func (f fixedVerifier) Verify(context.Context, verifier.Credential) (*verifier.Identity, error) {
	return f.id, f.err
}

// recordingChallenger answers 302 and remembers the reason it was asked for.
type recordingChallenger struct{ reasons []verifier.Reason }

func (c *recordingChallenger) Challenge(w http.ResponseWriter, r *http.Request, reason verifier.Reason) error {
	c.reasons = append(c.reasons, reason)
	return sendRedirect(w, r, "/login", string(reason))
}

var unitBearer = verifier.Source{Kind: verifier.SourceHeader, Name: "Authorization", Scheme: "Bearer"}

// unitHandler builds a handler reading Bearer tokens with v, forwarding the
// default identity headers and enforcing require.
func unitHandler(t *testing.T, v verifier.Verifier, require ...config.RequireConfig) *Handler {
	t.Helper()
	mappings, err := forward.Compile(forward.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{logger: zap.NewNop()}
	h.deps = deps{maxTokenBytes: 8 << 10, headers: mappings}
	h.routes = []credential.Route{{Source: unitBearer, Verify: v}}
	if h.policy, err = compileSpecs(require, policy.Options{}); err != nil {
		t.Fatal(err)
	}
	h.headers = forward.NewHeaderPolicy(mappings, h.credentialHeaders())
	h.challenge = h.newChallenger()
	return h
}

// upstream records the request next receives.
type upstream struct{ got *http.Request }

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) error {
	u.got = r
	w.WriteHeader(http.StatusOK)
	return nil
}

// serve runs one request through h; headers are "Name: value" lines.
func serve(t *testing.T, h *Handler, headers ...string) (*httptest.ResponseRecorder, *upstream, *caddy.Replacer) {
	t.Helper()
	r := httptest.NewRequest("GET", "http://app.example/page", nil)
	for _, line := range headers {
		name, value, _ := strings.Cut(line, ": ")
		r.Header.Add(name, value)
	}
	repl := caddy.NewReplacer()
	r = r.WithContext(context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl))
	w := httptest.NewRecorder()
	next := &upstream{}
	if err := h.ServeHTTP(w, r, next); err != nil {
		t.Fatalf("ServeHTTP: %v", err)
	}
	return w, next, repl
}

func wantRefused(t *testing.T, w *httptest.ResponseRecorder, next *upstream, status int, bodyPart string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d (body %s)", w.Code, status, w.Body)
	}
	if !strings.Contains(w.Body.String(), bodyPart) {
		t.Errorf("body %s lacks %s", w.Body, bodyPart)
	}
	if next.got != nil {
		t.Error("a refused request reached the upstream")
	}
}

var alice = &verifier.Identity{Subject: "alice", Claims: map[string]any{"email": "a@example.com", "roles": []any{"editor"}}}

func TestServeRefusesAMissingCredentialOnARequiredRoute(t *testing.T) {
	h := unitHandler(t, fixedVerifier{id: alice})
	w, next, repl := serve(t, h, "X-Auth-User-Id: forged")
	wantRefused(t, w, next, http.StatusUnauthorized, `"reason":"missing_credential"`)
	if got := w.Header().Get("WWW-Authenticate"); got != `Bearer realm="authgate"` {
		t.Errorf("WWW-Authenticate = %q", got)
	}
	if got, _ := repl.GetString("http.auth.error.reason"); got != "missing_credential" {
		t.Errorf("{http.auth.error.reason} = %q", got)
	}
}

func TestServeLetsAnonymousRequestsThroughAnOptionalRoute(t *testing.T) {
	h := unitHandler(t, fixedVerifier{id: alice})
	h.Optional = true
	w, next, _ := serve(t, h, "X-Auth-User-Id: forged", "X_Auth_Roles: admin")
	if w.Code != http.StatusOK || next.got == nil {
		t.Fatalf("status = %d, upstream reached = %v; want the request passed on", w.Code, next.got != nil)
	}
	for _, name := range []string{"X-Auth-User-Id", "X_Auth_Roles"} {
		if v, ok := next.got.Header[name]; ok {
			t.Errorf("forged %s reached the upstream: %q", name, v)
		}
	}
}

func TestServeAnswers503WhenTheVerifierCannotCheck(t *testing.T) {
	h := unitHandler(t, fixedVerifier{err: verifier.Unavailable(verifier.ReasonKeysUnavailable, errors.New("jwks down"))})
	w, next, _ := serve(t, h, "Authorization: Bearer tok")
	wantRefused(t, w, next, http.StatusServiceUnavailable, `"reason":"keys_unavailable"`)
	if w.Header().Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
}

func TestServeAnswers401WhenTheVerifierRejects(t *testing.T) {
	h := unitHandler(t, fixedVerifier{err: verifier.Reject(verifier.ReasonTokenExpired, nil)})
	w, next, _ := serve(t, h, "Authorization: Bearer tok")
	wantRefused(t, w, next, http.StatusUnauthorized, `"reason":"token_expired"`)
	if got := w.Header().Get("WWW-Authenticate"); !strings.Contains(got, `error="invalid_token"`) {
		t.Errorf("WWW-Authenticate = %q", got)
	}
}

func TestServeAnswers403WithTheDenialBody(t *testing.T) {
	admin := config.RequireConfig{Claim: "roles", Op: "includes", Values: []json.RawMessage{json.RawMessage(`"admin"`)}}
	h := unitHandler(t, fixedVerifier{id: alice}, admin)
	w, next, _ := serve(t, h, "Authorization: Bearer tok")
	wantRefused(t, w, next, http.StatusForbidden, `"message":"invalid claim"`)
	if !strings.Contains(w.Body.String(), `"id":"roles"`) {
		t.Errorf("403 body %s does not name the failing validator", w.Body)
	}
}

func TestServeSendsBrowserNavigationsToTheChallenger(t *testing.T) {
	cases := []struct {
		name        string
		verify      fixedVerifier
		headers     []string
		wantReasons []verifier.Reason
		wantStatus  int
	}{
		{"a navigation without a credential", fixedVerifier{id: alice},
			[]string{"Accept: text/html", "Sec-Fetch-Mode: navigate"}, []verifier.Reason{verifier.ReasonMissingCredential}, http.StatusFound},
		{"a navigation with an expired token", fixedVerifier{err: verifier.Reject(verifier.ReasonTokenExpired, nil)},
			[]string{"Accept: text/html", "Authorization: Bearer tok"}, []verifier.Reason{verifier.ReasonTokenExpired}, http.StatusFound},
		{"a navigation with a forged token gets the 401", fixedVerifier{err: verifier.Reject(verifier.ReasonBadSignature, nil)},
			[]string{"Accept: text/html", "Authorization: Bearer tok"}, nil, http.StatusUnauthorized},
		{"a fetch without a credential gets the 401", fixedVerifier{id: alice},
			[]string{"Accept: text/html", "Sec-Fetch-Mode: cors"}, nil, http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := unitHandler(t, tc.verify)
			c := &recordingChallenger{}
			h.challenge = c
			w, next, _ := serve(t, h, tc.headers...)
			if w.Code != tc.wantStatus || next.got != nil {
				t.Fatalf("status = %d, upstream reached = %v; want %d", w.Code, next.got != nil, tc.wantStatus)
			}
			if len(c.reasons) != len(tc.wantReasons) || len(c.reasons) > 0 && c.reasons[0] != tc.wantReasons[0] {
				t.Errorf("challenger asked for %v, want %v", c.reasons, tc.wantReasons)
			}
			if got := w.Header().Get("Vary"); got != "Accept, Sec-Fetch-Mode" {
				t.Errorf("Vary = %q", got)
			}
		})
	}
}

func TestServeForwardsIdentityHeadersAndStripsForgedOnes(t *testing.T) {
	h := unitHandler(t, fixedVerifier{id: alice})
	w, next, repl := serve(t, h, "Authorization: Bearer tok", "X-Auth-Roles: admin", "X_Auth_Session_Id: forged",
		"X.Auth.Email: evil@example.com", "Connection: X-Auth-User-Id")
	if w.Code != http.StatusOK || next.got == nil {
		t.Fatalf("status = %d, upstream reached = %v", w.Code, next.got != nil)
	}
	got := next.got.Header
	want := http.Header{"X-Auth-User-Id": {"alice"}, "X-Auth-Email": {"a@example.com"}, "X-Auth-Roles": {"editor"}}
	for name, values := range want {
		if g := got.Values(name); len(g) != 1 || g[0] != values[0] {
			t.Errorf("%s = %q, want %q", name, g, values)
		}
	}
	for _, name := range []string{"X_Auth_Session_Id", "X.Auth.Email", "X-Auth-Session-Id", "Connection"} {
		if v, ok := got[name]; ok {
			t.Errorf("%s reached the upstream: %q", name, v)
		}
	}
	if got.Get("Authorization") != "Bearer tok" {
		t.Errorf("the accepted credential was not kept: %q", got.Get("Authorization"))
	}
	if id, _ := repl.GetString("http.auth.user.id"); id != "alice" {
		t.Errorf("{http.auth.user.id} = %q", id)
	}
}

func TestServePassesPreflightsWithoutAuthentication(t *testing.T) {
	h := unitHandler(t, fixedVerifier{err: errors.New("must not be called")})
	h.AllowPreflight = true
	r := httptest.NewRequest("OPTIONS", "http://app.example/api", nil)
	r.Header.Set("Origin", "https://web.example")
	r.Header.Set("Access-Control-Request-Method", "POST")
	r.Header.Set("X-Auth-User-Id", "forged")
	next := &upstream{}
	if err := h.ServeHTTP(httptest.NewRecorder(), r, next); err != nil || next.got == nil {
		t.Fatalf("preflight not passed on (err %v)", err)
	}
	if next.got.Header.Get("X-Auth-User-Id") != "" {
		t.Error("a forged identity header passed with the preflight")
	}
}
