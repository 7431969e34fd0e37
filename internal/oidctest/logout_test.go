package oidctest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
)

func TestLogoutTokenVerifiesAgainstJWKS(t *testing.T) {
	op := New(t, testOptions())
	c := newRP(t, op, testOptions())
	verifier := c.provider.Verifier(&oidc.Config{ClientID: "app"})

	raw := op.LogoutToken("alice", "sid-1", nil)
	lt, err := verifier.VerifyLogout(context.Background(), raw)
	if err != nil {
		t.Fatalf("VerifyLogout: %v", err)
	}
	if lt.Subject != "alice" || lt.SessionID != "sid-1" || lt.Issuer != op.Issuer() || lt.TokenID == "" {
		t.Errorf("logout token = %+v", lt)
	}
	if d := lt.Expiry.Sub(lt.IssuedAt); d != 2*time.Minute {
		t.Errorf("exp - iat = %v, want 2m", d)
	}
	tok, _, err := jwt.NewParser().ParseUnverified(raw, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Header["typ"] != "logout+jwt" || tok.Header["kid"] == "" || tok.Header["alg"] != "RS256" {
		t.Errorf("header = %v", tok.Header)
	}
	if aud, _ := tok.Claims.(jwt.MapClaims)["aud"].(string); aud != "app" {
		t.Errorf("aud = %v, want the string app", tok.Claims.(jwt.MapClaims)["aud"])
	}

	tests := []struct {
		name string
		raw  string
	}{
		{"a token signed by a foreign key under the provider's kid is refused",
			op.SignWithForeignKey(jwt.MapClaims{"iss": op.Issuer(), "aud": "app", "sub": "alice", "jti": "j1",
				"exp": time.Now().Add(time.Minute).Unix(), "events": map[string]any{BackchannelLogoutEvent: map[string]any{}}})},
		{"a token that mutate gave a nonce is refused", op.LogoutToken("alice", "", func(c jwt.MapClaims) { c["nonce"] = "n" })},
		{"a token with neither sub nor sid is refused", op.LogoutToken("", "", nil)},
		{"an expired token is refused", op.LogoutToken("alice", "", func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := verifier.VerifyLogout(context.Background(), tc.raw); err == nil {
				t.Error("VerifyLogout accepted it")
			}
		})
	}
}

func TestEndSession(t *testing.T) {
	tests := []struct {
		name    string
		allowed []string // Options.PostLogoutRedirectURIs
		target  string
		want    string // Location, or "" for the logged-out page
	}{
		{"a loopback URI is allowed by default, with the state appended", nil, "http://127.0.0.1:8443/bye", "http://127.0.0.1:8443/bye?state=st-1"},
		{"a foreign host is refused by default", nil, "https://evil.example/bye", ""},
		{"a registered URI is allowed", []string{"https://app.example/bye"}, "https://app.example/bye", "https://app.example/bye?state=st-1"},
		{"an unregistered URI is refused when a list is set", []string{"https://app.example/bye"}, "http://127.0.0.1:8443/bye", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions()
			opts.PostLogoutRedirectURIs = tc.allowed
			op := New(t, opts)
			op.AutoLogin("alice")
			c := newRP(t, op, opts)
			c.login("nonce-5678")
			sid := op.SID("alice")

			c.browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			q := url.Values{"id_token_hint": {"hint"}, "post_logout_redirect_uri": {tc.target}, "state": {"st-1"}, "client_id": {"app"}}
			resp, err := c.browser.Get(op.Issuer() + "/logout?" + q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if got := resp.Header.Get("Location"); got != tc.want || (tc.want == "" && resp.StatusCode != http.StatusOK) {
				t.Errorf("got %d Location %q (%s), want %q", resp.StatusCode, got, body, tc.want)
			}
			want := EndSession{IDTokenHint: "hint", PostLogoutRedirectURI: tc.target, State: "st-1", ClientID: "app"}
			if got := op.Logouts(); len(got) != 1 || got[0] != want {
				t.Errorf("Logouts = %+v, want [%+v]", got, want)
			}
			c.browser.CheckRedirect = newBrowser(t).CheckRedirect
			c.login("nonce-5678")
			if op.SID("alice") == sid {
				t.Error("a login after logout kept the ended provider session")
			}
		})
	}
}

func TestDiscovery(t *testing.T) {
	for _, noEnd := range []bool{false, true} {
		opts := testOptions()
		opts.NoEndSession = noEnd
		op := New(t, opts)
		resp, err := http.Get(op.Issuer() + "/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		err = json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		_, hasEnd := doc["end_session_endpoint"]
		if hasEnd == noEnd || doc["backchannel_logout_supported"] != true || doc["jwks_uri"] != op.Issuer()+"/jwks" {
			t.Errorf("NoEndSession=%v: discovery = %v", noEnd, doc)
		}
	}
}
