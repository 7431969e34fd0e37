package caddymodule

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// An RFC 7662 authorization server reports a sender-constrained opaque
// token's binding in the answer's cnf member (RFC 8705 section 3.2, RFC
// 9449 section 6.2). Such a token is only valid with its proof, which the
// gateway does not check, so it must not pass as a plain bearer token.
const boundIntrospectSite = `{
	admin off
	storage file_system {STORAGE}
	authgate {
		introspect oauth {
			url {AS}/oauth2/introspect
			mode rfc7662
			from header Authorization Bearer
			{OPTIONS}
		}
	}
}
http://127.0.0.1:{PORT} {
	authgate
	reverse_proxy {UPSTREAM}
}
`

func boundIntrospection(f *fakeService, w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	exp := time.Now().Add(time.Hour).Unix()
	switch r.PostForm.Get("token") {
	case "at-dpop-token":
		answerJSON(w, 200, map[string]any{"active": true, "sub": "alice", "token_type": "DPoP", "exp": exp,
			"cnf": map[string]any{"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}})
	case "at-mtls-token":
		answerJSON(w, 200, map[string]any{"active": true, "sub": "alice", "exp": exp,
			"cnf": map[string]any{"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}})
	case "at-plain-token":
		answerJSON(w, 200, map[string]any{"active": true, "sub": "alice", "exp": exp})
	default:
		answerJSON(w, 200, map[string]any{"active": false})
	}
}

func startBoundIntrospectGateway(t *testing.T, options string) *gateway {
	t.Helper()
	as := newFakeService(t, boundIntrospection)
	return startGateway(t, strings.NewReplacer("{AS}", as.URL, "{OPTIONS}", options,
		"{UPSTREAM}", echoUpstream(t).URL).Replace(boundIntrospectSite))
}

func TestIntrospectedBoundTokenIsRefused(t *testing.T) {
	g := startBoundIntrospectGateway(t, "")
	for _, tok := range []string{"at-dpop-token", "at-mtls-token"} {
		t.Run(tok, func(t *testing.T) {
			wantReason(t, g.do("GET", "/", "Authorization: Bearer "+tok), http.StatusUnauthorized, "unsupported_binding")
		})
	}
	r := g.do("GET", "/", "Authorization: Bearer at-plain-token")
	wantStatus(t, r, http.StatusOK)
	if got := r.upstream.Get("X-Auth-User-Id"); got != "alice" {
		t.Errorf("X-Auth-User-Id = %q, want alice", got)
	}
}

func TestIntrospectAllowBoundTokens(t *testing.T) {
	g := startBoundIntrospectGateway(t, "allow_bound_tokens")
	wantStatus(t, g.do("GET", "/", "Authorization: Bearer at-dpop-token"), http.StatusOK)
}
