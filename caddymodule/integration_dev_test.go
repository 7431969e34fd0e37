package caddymodule

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// devSite is a gateway in dev mode in front of the echo upstream.
const devSite = `{
	admin off
	storage file_system {STORAGE}
	authgate {
		dev
		header X-Auth-User-Id {sub}
		header X-Auth-Email {claims.email}
		header X-Auth-Roles {claims.roles}
		header X-Legacy-User {sub}
	}
}
http://127.0.0.1:{PORT} {
	handle /optional/* {
		authgate {
			optional
		}
		reverse_proxy {UPSTREAM}
	}
	handle /strip/* {
		authgate {
			strip_credentials
		}
		reverse_proxy {UPSTREAM}
	}
	handle /cors/* {
		authgate {
			allow_preflight
		}
		reverse_proxy {UPSTREAM}
	}
	handle /login/* {
		authgate {
			login_url https://login.example.com/start?app=1
		}
		reverse_proxy {UPSTREAM}
	}
	handle {
		authgate
		request_header X-Placeholder-User "{http.auth.user.id} {http.auth.user.email}"
		reverse_proxy {UPSTREAM}
	}
}
`

func startDevGateway(t *testing.T) *gateway {
	t.Helper()
	up := echoUpstream(t)
	return startGateway(t, strings.ReplaceAll(devSite, "{UPSTREAM}", up.URL))
}

func TestDevTokenReachesUpstreamWithIdentityHeaders(t *testing.T) {
	g := startDevGateway(t)
	tok := g.mint("alice", "email=alice@example.com", `roles=["admin","a,b"]`)
	r := g.do("GET", "/", "Authorization: Bearer "+tok)
	wantStatus(t, r, http.StatusOK)
	for name, want := range map[string]string{
		"X-Auth-User-Id":     "alice",
		"X-Auth-Email":       "alice@example.com",
		"X-Auth-Roles":       "admin,a%2Cb",
		"X-Legacy-User":      "alice",
		"X-Placeholder-User": "alice alice@example.com",
	} {
		if got := r.upstream.Get(name); got != want {
			t.Errorf("upstream %s = %q, want %q", name, got, want)
		}
	}
}

func TestMissingCredentialIsRefusedWithChallenge(t *testing.T) {
	g := startDevGateway(t)
	r := g.do("GET", "/")
	wantReason(t, r, http.StatusUnauthorized, "missing_credential")
	if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="authgate"` {
		t.Errorf("WWW-Authenticate = %q", got)
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if got := r.body; got != `{"error":"unauthorized","reason":"missing_credential"}` {
		t.Errorf("body = %s", got)
	}
}

func TestBadTokensAreRefusedWithReasons(t *testing.T) {
	g := startDevGateway(t)
	good := g.mint("alice")
	parts := strings.Split(good, ".")
	cases := []struct {
		name, token, reason string
	}{
		{"a truncated token is malformed", parts[0] + "." + parts[1], "malformed"},
		{"a stripped signature is refused", parts[0] + "." + parts[1] + ".", "bad_signature"},
		{"a token over the size cap is too large", strings.Repeat("a", 9000), "too_large"},
		{"garbage is malformed", "not-a-jwt", "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := g.do("GET", "/", "Authorization: Bearer "+tc.token)
			wantReason(t, r, http.StatusUnauthorized, tc.reason)
			if !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
			}
			if strings.Contains(r.body, tc.token) {
				t.Errorf("body echoes the token")
			}
		})
	}
}

// forgedHeaders are identity headers a client might try to smuggle in, in
// the spellings that CGI/WSGI/PHP apps fold into the real names.
var forgedHeaders = []string{
	"X-Auth-User-Id: mallory",
	"X_Auth_User_Id: mallory",
	"x-auth-email: mallory@evil.example",
	"X-AUTH-ROLES: admin",
	"X-Auth-Anything: forged",
	"X-Legacy-User: mallory",
	"X_Legacy_User: mallory",
}

func TestForgedIdentityHeadersNeverReachUpstream(t *testing.T) {
	g := startDevGateway(t)
	tok := g.mint("alice")
	t.Run("with a valid token the forged values are replaced", func(t *testing.T) {
		r := g.do("GET", "/", append([]string{"Authorization: Bearer " + tok}, forgedHeaders...)...)
		wantStatus(t, r, http.StatusOK)
		assertNoForgery(t, r.upstream)
		if got := r.upstream.Get("X-Auth-User-Id"); got != "alice" {
			t.Errorf("X-Auth-User-Id = %q, want alice", got)
		}
	})
	t.Run("anonymous on an optional route gets no identity at all", func(t *testing.T) {
		r := g.do("GET", "/optional/x", forgedHeaders...)
		wantStatus(t, r, http.StatusOK)
		assertNoForgery(t, r.upstream)
		if got := r.upstream.Get("X-Auth-User-Id"); got != "" {
			t.Errorf("X-Auth-User-Id = %q, want none", got)
		}
	})
	t.Run("a Connection nomination cannot remove the set headers", func(t *testing.T) {
		r := g.do("GET", "/", "Authorization: Bearer "+tok, "Connection: X-Auth-User-Id")
		wantStatus(t, r, http.StatusOK)
		if got := r.upstream.Get("X-Auth-User-Id"); got != "alice" {
			t.Errorf("X-Auth-User-Id = %q, want alice", got)
		}
	})
}

func assertNoForgery(t *testing.T, h http.Header) {
	t.Helper()
	for name, values := range h {
		for _, v := range values {
			if strings.Contains(v, "mallory") || v == "forged" || (v == "admin" && strings.EqualFold(name, "X-Auth-Roles")) {
				t.Errorf("forged header reached upstream: %s: %s", name, v)
			}
		}
	}
}

func TestOptionalRouteStillRefusesInvalidTokens(t *testing.T) {
	g := startDevGateway(t)
	r := g.do("GET", "/optional/x", "Authorization: Bearer nope")
	wantReason(t, r, http.StatusUnauthorized, "malformed")
}

func TestStripCredentialsHidesTokenFromUpstream(t *testing.T) {
	g := startDevGateway(t)
	tok := g.mint("alice")
	r := g.do("GET", "/strip/x", "Authorization: Bearer "+tok)
	wantStatus(t, r, http.StatusOK)
	if got := r.upstream.Get("Authorization"); got != "" {
		t.Errorf("upstream saw Authorization %q", got)
	}
	r = g.do("GET", "/", "Authorization: Bearer "+tok)
	if got := r.upstream.Get("Authorization"); got == "" {
		t.Errorf("without strip_credentials upstream should see the token")
	}
}

func TestPreflightPassesOnlyWhenAllowedAndWellFormed(t *testing.T) {
	g := startDevGateway(t)
	pre := []string{"Origin: https://app.example", "Access-Control-Request-Method: POST", "X-Auth-User-Id: mallory"}
	r := g.do("OPTIONS", "/cors/x", pre...)
	wantStatus(t, r, http.StatusOK)
	assertNoForgery(t, r.upstream)
	wantStatus(t, g.do("OPTIONS", "/cors/x", "Origin: https://app.example"), http.StatusUnauthorized)
	wantStatus(t, g.do("OPTIONS", "/", pre...), http.StatusUnauthorized)
}

func TestLoginRedirectOnlyForBrowserNavigations(t *testing.T) {
	g := startDevGateway(t)
	nav := []string{"Accept: text/html,application/xhtml+xml", "Sec-Fetch-Mode: navigate"}
	r := g.do("GET", "/login/page?q=1", nav...)
	wantStatus(t, r, http.StatusFound)
	want := "https://login.example.com/start?app=1&redirect_uri=" + url.QueryEscape(g.base+"/login/page?q=1")
	if got := r.header.Get("Location"); got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	if !strings.Contains(r.header.Get("Vary"), "Sec-Fetch-Mode") {
		t.Errorf("Vary = %q", r.header.Get("Vary"))
	}
	for name, hdrs := range map[string][]string{
		"fetch":      {"Accept: text/html", "Sec-Fetch-Mode: cors"},
		"xhr":        {"Accept: text/html", "X-Requested-With: XMLHttpRequest"},
		"api client": {"Accept: application/json"},
		"bad token":  append([]string{"Authorization: Bearer nope"}, nav...),
	} {
		t.Run(name+" gets 401", func(t *testing.T) {
			wantStatus(t, g.do("GET", "/login/page", hdrs...), http.StatusUnauthorized)
		})
	}
}
