package caddymodule

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/session"
)

// adminSite is sessionSite with Caddy's admin API on a loopback port.
func startAdminGateway(t *testing.T) (*gateway, string) {
	t.Helper()
	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	up := echoUpstream(t)
	site := strings.ReplaceAll(sessionSite, "{UPSTREAM}", up.URL)
	site = strings.ReplaceAll(site, "{SESSION}", "")
	site = strings.Replace(site, "admin off", "admin "+admin, 1)
	// A claim source makes "roles" subject-scoped: admin writes get 409.
	site = strings.Replace(site, "\t\tsession {", "\t\tclaim roles {\n\t\t\tfetch http://127.0.0.1:9/roles/{sub}\n\t\t}\n\t\tsession {", 1)
	return startGateway(t, site), "http://" + admin
}

const jsonCT = "Content-Type: application/json"

func TestAdminAPIManagesSessions(t *testing.T) {
	g, admin := startAdminGateway(t)
	r := send(t, admin, "POST", "/authgate/sessions", `{"user_id":"bob","claims":{"mfa":false,"email":"bob@example.com"},"ttl":"1h"}`, jsonCT)
	wantStatus(t, r, http.StatusCreated)
	var created struct{ SessionToken, SessionID, ExpiresAt string }
	_ = json.Unmarshal([]byte(strings.NewReplacer("session_token", "sessiontoken", "session_id", "sessionid", "expires_at", "expiresat").Replace(r.body)), &created)
	if len(created.SessionToken) != session.TokenLen || !session.HasTokenPrefix(created.SessionToken) || created.SessionID == "" {
		t.Fatalf("create answer %s", r.body)
	}
	exp, err := time.Parse(time.RFC3339, created.ExpiresAt)
	if err != nil || exp.After(time.Now().Add(time.Hour+time.Minute)) {
		t.Fatalf("expires_at %q does not honour ttl", created.ExpiresAt)
	}
	cookie := "Cookie: " + sessionCookieName + "=" + created.SessionToken
	up := send(t, g.base, "GET", "/", "", cookie)
	wantStatus(t, up, http.StatusOK)
	if up.upstream.Get("X-Auth-User-Id") != "bob" || up.upstream.Get("X-Auth-Email") != "bob@example.com" {
		t.Fatalf("upstream saw %v", up.upstream)
	}

	list := send(t, admin, "GET", "/authgate/sessions?user_id=bob", "", jsonCT)
	wantStatus(t, list, http.StatusOK)
	if !strings.Contains(list.body, created.SessionID) || strings.Contains(list.body, created.SessionToken) {
		t.Fatalf("list: %s", list.body)
	}

	wantStatus(t, send(t, admin, "PUT", "/authgate/sessions/"+created.SessionID+"/claims/mfa", `{"v":true,"t":1}`, jsonCT), http.StatusNoContent)
	wantStatus(t, send(t, admin, "PUT", "/authgate/sessions/"+created.SessionID+"/claims/https:%2F%2Fexample.com%2Froles", `["a"]`, jsonCT), http.StatusNoContent)
	who := send(t, g.base, "GET", "/.authgate/session", "", cookie)
	if !strings.Contains(who.body, `"https://example.com/roles":["a"]`) {
		t.Fatalf("namespaced claim not set: %s", who.body)
	}
	if !strings.Contains(who.body, `"mfa":{"t":1,"v":true}`) {
		t.Fatalf("claim not visible at once: %s", who.body)
	}
	for _, tc := range []struct {
		name, method, path, body string
		headers                  []string
		want                     int
	}{
		{"a claim with a claim source is refused", "PUT", "/authgate/sessions/" + created.SessionID + "/claims/roles", `["admin"]`, []string{jsonCT}, 409},
		{"a claim with a claim source is refused at creation", "POST", "/authgate/sessions", `{"user_id":"x","claims":{"roles":["admin"]}}`, []string{jsonCT}, 409},
		{"a reserved claim is refused", "PUT", "/authgate/sessions/" + created.SessionID + "/claims/sub", `"eve"`, []string{jsonCT}, 400},
		{"reserved claims are refused at creation", "POST", "/authgate/sessions", `{"user_id":"x","claims":{"exp":1}}`, []string{jsonCT}, 400},
		{"a claim of an unknown session is 404", "PUT", "/authgate/sessions/ses_nope/claims/mfa", `true`, []string{jsonCT}, 404},
		{"a call with a body but without JSON content type is refused", "POST", "/authgate/sessions", `{"user_id":"x"}`, nil, 415},
		{"a call with an Origin header is refused", "GET", "/authgate/sessions?user_id=bob", "", []string{jsonCT, "Origin: http://evil.example"}, 403},
		{"listing needs a user", "GET", "/authgate/sessions", "", []string{jsonCT}, 400},
		{"a user_id with a line break is refused", "POST", "/authgate/sessions", `{"user_id":"x\r\nX-Admin: 1"}`, []string{jsonCT}, 400},
		{"a bad ttl is refused", "POST", "/authgate/sessions", `{"user_id":"x","ttl":"soon"}`, []string{jsonCT}, 400},
		{"integer seconds are a ttl", "POST", "/authgate/sessions", `{"user_id":"x","ttl":60}`, []string{jsonCT}, 201},
		{"a revocation needs until", "POST", "/authgate/revocations", `{"jti":"j"}`, []string{jsonCT}, 400},
		{"a revocation needs jti or sub", "POST", "/authgate/revocations", `{"until":"2999-01-01T00:00:00Z"}`, []string{jsonCT}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, admin, tc.method, tc.path, tc.body, tc.headers...)
			wantStatus(t, r, tc.want)
			// Caddy's admin endpoint itself refuses an unexpected Origin
			// before authgate's handler runs; that answer is not ours.
			if got := r.header.Get("Cache-Control"); got != "no-store" && !strings.Contains(tc.name, "Origin") {
				t.Errorf("Cache-Control = %q, want no-store (errors too)", got)
			}
		})
	}

	wantStatus(t, send(t, admin, "DELETE", "/authgate/sessions/"+created.SessionID, "", jsonCT), http.StatusNoContent)
	wantReason(t, send(t, g.base, "GET", "/", "", cookie), http.StatusUnauthorized, "session_revoked")
	wantStatus(t, send(t, admin, "DELETE", "/authgate/sessions/"+created.SessionID, "", jsonCT), http.StatusNotFound)

	tok1, tok2 := sesExchange(t, g, "bob"), sesExchange(t, g, "bob")
	all := send(t, admin, "DELETE", "/authgate/sessions?user_id=bob", "", jsonCT)
	if all.status != http.StatusOK || !strings.Contains(all.body, `"revoked":2`) {
		t.Fatalf("revoke all: %d %s", all.status, all.body)
	}
	for _, tok := range []string{tok1, tok2} {
		wantReason(t, send(t, g.base, "GET", "/", "", "Cookie: "+sessionCookieName+"="+tok), http.StatusUnauthorized, "session_revoked")
	}
}

func TestAdminRevocationsDenyIdPTokens(t *testing.T) {
	g, admin := startAdminGateway(t)
	until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)

	tok := g.mint("carol")
	wantStatus(t, g.do("GET", "/", "Authorization: Bearer "+tok), http.StatusOK) // now cached
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, claims); err != nil {
		t.Fatal(err)
	}
	r := send(t, admin, "POST", "/authgate/revocations", `{"jti":"`+claims["jti"].(string)+`","until":"`+until+`"}`, jsonCT)
	wantStatus(t, r, http.StatusCreated)
	wantReason(t, g.do("GET", "/", "Authorization: Bearer "+tok), http.StatusUnauthorized, "token_revoked")
	wantReason(t, send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+tok), http.StatusUnauthorized, "token_revoked")
	wantStatus(t, g.do("GET", "/", "Authorization: Bearer "+g.mint("carol")), http.StatusOK)

	old := g.mint("dave")
	ses := sesExchange(t, g, "dave")
	revokedAt := time.Now()
	r = send(t, admin, "POST", "/authgate/revocations", `{"sub":"dave","until":"`+until+`"}`, jsonCT)
	wantStatus(t, r, http.StatusCreated)
	if !strings.Contains(r.body, `"revoked_sessions":1`) {
		t.Fatalf("revocation answer %s", r.body)
	}
	wantReason(t, g.do("GET", "/", "Authorization: Bearer "+old), http.StatusUnauthorized, "token_revoked")
	wantReason(t, send(t, g.base, "GET", "/", "", "Cookie: "+sessionCookieName+"="+ses), http.StatusUnauthorized, "session_revoked")
	// iat has whole seconds: only tokens of a later second are surely newer.
	sesWaitFor(t, 2*time.Second, "next second", func() bool { return time.Now().Unix() > revokedAt.Unix() })
	wantStatus(t, g.do("GET", "/", "Authorization: Bearer "+g.mint("dave")), http.StatusOK)
	sesExchange(t, g, "dave")
}

func TestAdminAPIWithoutTheAppAnswers503(t *testing.T) {
	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	startGateway(t, `{
	admin `+admin+`
	storage file_system {STORAGE}
}
http://127.0.0.1:{PORT} {
	respond "up"
}
`)
	r := send(t, "http://"+admin, "GET", "/authgate/sessions?user_id=bob", "", jsonCT)
	wantStatus(t, r, http.StatusServiceUnavailable)
}
