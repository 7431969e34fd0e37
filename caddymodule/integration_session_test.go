package caddymodule

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// sessionSite is a dev-mode gateway with edge sessions in a bolt file.
// {SESSION} is replaced by extra session options.
const sessionSite = `{
	admin off
	storage file_system {STORAGE}
	authgate {
		dev
		session {
			store bolt {STORAGE}/sessions.db
			exchange dev
			{SESSION}
		}
	}
}
http://127.0.0.1:{PORT} {
	handle /login/* {
		authgate {
			login_url https://login.example.com/
		}
		reverse_proxy {UPSTREAM}
	}
	handle {
		authgate
		reverse_proxy {UPSTREAM}
	}
}
`

func startSessionGateway(t *testing.T, options string) *gateway {
	t.Helper()
	up := echoUpstream(t)
	site := strings.ReplaceAll(sessionSite, "{UPSTREAM}", up.URL)
	return startGateway(t, strings.ReplaceAll(site, "{SESSION}", options))
}

func TestSessionFlowExchangeUseLogout(t *testing.T) {
	g := startSessionGateway(t, "")
	r := send(t, g.base, "POST", "/.authgate/session", "",
		"Authorization: Bearer "+g.mint("alice", "email=alice@example.com", `roles=["editor"]`))
	wantStatus(t, r, http.StatusCreated)
	c := sesCookie(t, r)
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || len(c.Value) < 43 {
		t.Fatalf("cookie attributes: %+v", c)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("Cache-Control = %q", r.header.Get("Cache-Control"))
	}
	var created struct {
		SessionID string         `json:"session_id"`
		UserID    string         `json:"user_id"`
		ExpiresAt string         `json:"expires_at"`
		Claims    map[string]any `json:"claims"`
	}
	if err := json.Unmarshal([]byte(r.body), &created); err != nil || created.UserID != "alice" || created.SessionID == "" || created.ExpiresAt == "" {
		t.Fatalf("exchange body %s (%v)", r.body, err)
	}
	if created.Claims["email"] != "alice@example.com" || created.Claims["iss"] != nil || created.Claims["jti"] != nil {
		t.Fatalf("claims %v: want custom claims only", created.Claims)
	}
	if strings.Contains(r.body, c.Value) {
		t.Fatal("the session token is echoed in the body")
	}
	cookie := "Cookie: " + sessionCookieName + "=" + c.Value

	up := send(t, g.base, "GET", "/app", "", cookie)
	wantStatus(t, up, http.StatusOK)
	for name, want := range map[string]string{"X-Auth-User-Id": "alice", "X-Auth-Email": "alice@example.com", "X-Auth-Roles": "editor", "X-Auth-Session-Id": created.SessionID} {
		if got := up.upstream.Get(name); got != want {
			t.Errorf("upstream %s = %q, want %q", name, got, want)
		}
	}
	who := send(t, g.base, "GET", "/.authgate/session", "", cookie)
	wantStatus(t, who, http.StatusOK)
	if !strings.Contains(who.body, `"session_id":"`+created.SessionID+`"`) || who.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("whoami: %s", who.body)
	}

	out := send(t, g.base, "POST", "/.authgate/logout", "", cookie)
	wantStatus(t, out, http.StatusNoContent)
	if !sesCleared(out) || out.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("logout did not clear the cookie: %v", out.header)
	}
	after := send(t, g.base, "GET", "/app", "", cookie)
	wantReason(t, after, http.StatusUnauthorized, "session_revoked")
	if !strings.Contains(after.header.Get("WWW-Authenticate"), `error="invalid_token"`) || !sesCleared(after) {
		t.Fatalf("revoked cookie answer: %v", after.header)
	}
	wantReason(t, send(t, g.base, "GET", "/.authgate/session", ""), http.StatusUnauthorized, "missing_credential")
}
