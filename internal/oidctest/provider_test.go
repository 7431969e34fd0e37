package oidctest

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

func TestLoginIssuesVerifiableTokens(t *testing.T) {
	tests := []struct {
		name  string
		style oauth2.AuthStyle
	}{
		{"a client authenticating with client_secret_basic gets tokens", oauth2.AuthStyleInHeader},
		{"a client authenticating with client_secret_post gets tokens", oauth2.AuthStyleInParams},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			op := New(t, testOptions())
			op.SetUser("alice", map[string]any{"email": "alice@example.com", "groups": []any{"admin", "dev"}})
			op.AutoLogin("alice")
			c := newRP(t, op, testOptions())
			c.conf.Endpoint.AuthStyle = tc.style

			tok, err := c.exchange(c.login("nonce-5678"))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			id := c.verify(tok)
			var claims struct {
				SID    string   `json:"sid"`
				Email  string   `json:"email"`
				Groups []string `json:"groups"`
			}
			if err := id.Claims(&claims); err != nil {
				t.Fatal(err)
			}
			if id.Subject != "alice" || id.Nonce != "nonce-5678" || claims.Email != "alice@example.com" || len(claims.Groups) != 2 {
				t.Errorf("ID token sub=%q nonce=%q claims=%+v", id.Subject, id.Nonce, claims)
			}
			if claims.SID == "" || claims.SID != op.SID("alice") {
				t.Errorf("sid = %q, want the provider's %q", claims.SID, op.SID("alice"))
			}
			if !slices.Equal(id.Audience, []string{"app"}) {
				t.Errorf("aud = %v, want [app]", id.Audience)
			}
			info, err := c.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatalf("userinfo: %v", err)
			}
			if info.Subject != "alice" || info.Email != "alice@example.com" {
				t.Errorf("userinfo = %+v", info)
			}
			if got := op.TokenRequests(); got != 1 {
				t.Errorf("TokenRequests = %d, want 1", got)
			}
		})
	}
}

func TestCodeIsSingleUse(t *testing.T) {
	op := New(t, testOptions())
	op.AutoLogin("alice")
	c := newRP(t, op, testOptions())
	code, verifier := c.login("nonce-5678")
	tok, err := c.exchange(code, verifier)
	if err != nil {
		t.Fatalf("first exchange: %v", err)
	}
	_, err = c.exchange(code, verifier)
	wantOAuthError(t, err, "invalid_grant")
	// RFC 6749 section 4.1.2: a replayed code revokes what it issued.
	if _, err := c.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(tok)); err == nil {
		t.Error("userinfo accepted the access token of a replayed code")
	}
	if got := op.TokenRequests(); got != 2 {
		t.Errorf("TokenRequests = %d, want 2", got)
	}
}

func TestPKCEIsEnforced(t *testing.T) {
	op := New(t, testOptions())
	op.AutoLogin("alice")
	c := newRP(t, op, testOptions())

	t.Run("an authorization request without a code challenge is refused", func(t *testing.T) {
		q := callbackParams(t, c.start("state-1234"))
		if q.Get("error") != "invalid_request" || q.Get("code") != "" || q.Get("state") != "state-1234" {
			t.Errorf("callback = %v, want error=invalid_request with the state", q)
		}
	})
	t.Run("the plain challenge method is refused", func(t *testing.T) {
		q := callbackParams(t, c.start("state-1234",
			oauth2.SetAuthURLParam("code_challenge", strings.Repeat("a", 43)),
			oauth2.SetAuthURLParam("code_challenge_method", "plain")))
		if q.Get("error") != "invalid_request" || q.Get("code") != "" {
			t.Errorf("callback = %v, want error=invalid_request", q)
		}
	})
	t.Run("an exchange without the verifier is refused", func(t *testing.T) {
		code, _ := c.login("nonce-5678")
		_, err := c.conf.Exchange(context.Background(), code)
		wantOAuthError(t, err, "invalid_grant")
	})
	t.Run("an exchange with the wrong verifier is refused", func(t *testing.T) {
		code, _ := c.login("nonce-5678")
		_, err := c.exchange(code, oauth2.GenerateVerifier())
		wantOAuthError(t, err, "invalid_grant")
	})
}

func TestLoginForm(t *testing.T) {
	op := New(t, testOptions())
	op.SetUser("bob", map[string]any{"email": "bob@example.com"})
	c := newRP(t, op, testOptions())
	verifier := oauth2.GenerateVerifier()

	resp := c.start("state-1234", oidc.Nonce("nonce-5678"), oauth2.S256ChallengeOption(verifier))
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `id="username"`) || !strings.Contains(string(body), `id="login"`) {
		t.Fatalf("want the login form, got %d: %s", resp.StatusCode, body)
	}
	form := formFields(string(body))
	if form.Get("state") != "state-1234" || form.Get("code_challenge") == "" {
		t.Fatalf("form does not carry the request: %v", form)
	}
	form.Set("username", "bob")
	posted, err := c.browser.PostForm(op.Issuer()+"/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	defer posted.Body.Close()
	q := callbackParams(t, posted)
	tok, err := c.exchange(q.Get("code"), verifier)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if id := c.verify(tok); id.Subject != "bob" || id.Nonce != "nonce-5678" {
		t.Errorf("ID token sub=%q nonce=%q, want bob and the nonce", id.Subject, id.Nonce)
	}
}

func TestAudienceAndAZP(t *testing.T) {
	opts := testOptions()
	opts.ExtraAudience = []string{"other-api"}
	opts.AZP = "app"
	op := New(t, opts)
	op.AutoLogin("alice")
	c := newRP(t, op, opts)
	tok, err := c.exchange(c.login("nonce-5678"))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	id := c.verify(tok)
	var claims struct {
		AZP string `json:"azp"`
	}
	_ = id.Claims(&claims)
	if !slices.Equal(id.Audience, []string{"other-api", "app"}) || claims.AZP != "app" {
		t.Errorf("aud = %v azp = %q, want [other-api app] and app", id.Audience, claims.AZP)
	}
}

func TestRedirectURIs(t *testing.T) {
	op := New(t, testOptions())
	op.AutoLogin("alice")
	c := newRP(t, op, testOptions())
	c.browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	challenge := oauth2.S256ChallengeOption(oauth2.GenerateVerifier())
	const later = "http://localhost:8443/.authgate/callback"
	tests := []struct {
		name     string
		allow    string // AllowRedirect before the request
		redirect string
		wantCode bool
	}{
		{"an unregistered redirect URI gets 400 and no redirect", "", later, false},
		{"a redirect URI allowed later gets a code", later, later, true},
		{"a loopback IP redirect URI matches whatever its port (RFC 8252)", "", "http://127.0.0.1:9999/callback", true},
		{"a localhost redirect URI must match exactly, port included", "", "http://localhost:8444/.authgate/callback", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.allow != "" {
				op.AllowRedirect(tc.allow)
			}
			c.conf.RedirectURL = tc.redirect
			resp := c.start("state-1234", challenge)
			loc, _ := resp.Location()
			gotCode := loc != nil && strings.HasPrefix(loc.String(), tc.redirect+"?code=")
			if gotCode != tc.wantCode || (!tc.wantCode && resp.StatusCode != http.StatusBadRequest) {
				t.Errorf("got %d %v, want code=%v", resp.StatusCode, loc, tc.wantCode)
			}
		})
	}
}

func TestRefreshToken(t *testing.T) {
	op := New(t, testOptions())
	op.AutoLogin("alice")
	c := newRP(t, op, testOptions())
	c.conf.Scopes = append(c.conf.Scopes, oidc.ScopeOfflineAccess)
	tok, err := c.exchange(c.login("nonce-5678"))
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("exchange with offline_access: refresh token %q, err %v", tok.RefreshToken, err)
	}
	tok.Expiry = time.Now().Add(-time.Minute) // force the refresh
	fresh, err := c.conf.TokenSource(context.Background(), tok).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	id := c.verify(fresh)
	var claims struct {
		SID string `json:"sid"`
	}
	_ = id.Claims(&claims)
	if fresh.AccessToken == tok.AccessToken || id.Subject != "alice" || claims.SID != op.SID("alice") {
		t.Errorf("refreshed: new access token %v, sub %q, sid %q (want %q)", fresh.AccessToken != tok.AccessToken, id.Subject, claims.SID, op.SID("alice"))
	}
}
