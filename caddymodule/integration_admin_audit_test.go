package caddymodule

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestAdminActionsWriteOneAuditLine: every admin call that changes state
// (creating a session, revoking one or all of a user's, setting or
// removing a claim, adding to the deny-list) writes exactly one info line on the
// authgate.audit logger naming the admin peer, the action and the ids;
// reads and refused calls write none, and no line holds a session token
// or a claim's value.
func TestAdminActionsWriteOneAuditLine(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	logs := newCaddyLog(t)
	adminAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	site := strings.NewReplacer("{UPSTREAM}", echoUpstream(t).URL, "{SESSION}", "",
		"admin off", "admin "+adminAddr+"\n\t"+logs.option()).Replace(sessionSite)
	startGateway(t, site)
	admin := "http://" + adminAddr

	const secretValue = "claim-value-that-is-a-secret"
	create := func(user string) (token, id string) {
		r := send(t, admin, "POST", "/authgate/sessions", `{"user_id":"`+user+`","claims":{"api_key":"`+secretValue+`"}}`, jsonCT)
		wantStatus(t, r, http.StatusCreated)
		var body struct {
			Token string `json:"session_token"`
			ID    string `json:"session_id"`
		}
		if err := jsonUnmarshal(r.body, &body); err != nil || body.Token == "" || body.ID == "" {
			t.Fatalf("create answer %s", r.body)
		}
		return body.Token, body.ID
	}
	tok1, id1 := create("bob")
	tok2, id2 := create("carol")
	tok3, id3 := create("dave")
	wantStatus(t, send(t, admin, "GET", "/authgate/sessions?user_id=bob", "", jsonCT), http.StatusOK)
	wantStatus(t, send(t, admin, "PUT", "/authgate/sessions/"+id1+"/claims/mfa", `"`+secretValue+`"`, jsonCT), http.StatusNoContent)
	wantStatus(t, send(t, admin, "DELETE", "/authgate/sessions/"+id1+"/claims/api_key", ""), http.StatusNoContent)
	wantStatus(t, send(t, admin, "DELETE", "/authgate/sessions/"+id1, ""), http.StatusNoContent)
	wantStatus(t, send(t, admin, "DELETE", "/authgate/sessions?user_id=carol", ""), http.StatusOK)
	until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	wantStatus(t, send(t, admin, "POST", "/authgate/revocations", `{"jti":"jti-1","until":"`+until+`"}`, jsonCT), http.StatusCreated)
	wantStatus(t, send(t, admin, "POST", "/authgate/revocations", `{"jti":"jti-2","iss":"https://idp.example","until":"`+until+`"}`, jsonCT), http.StatusCreated)
	wantStatus(t, send(t, admin, "POST", "/authgate/revocations", `{"sub":"dave","until":"`+until+`"}`, jsonCT), http.StatusCreated)
	// Refused calls change nothing and are not audited.
	wantStatus(t, send(t, admin, "POST", "/authgate/revocations", `{"jti":"jti-refused"}`, jsonCT), http.StatusBadRequest)
	wantStatus(t, send(t, admin, "PUT", "/authgate/sessions/ses_nope/claims/mfa", `true`, jsonCT), http.StatusNotFound)
	wantStatus(t, send(t, admin, "DELETE", "/authgate/sessions/"+id2+"/claims/absent", ""), http.StatusNotFound)

	const line = `"logger":"authgate.audit","msg":"authgate admin action"`
	want := []struct {
		action string
		ids    []string
	}{
		{"session.create", []string{`"session_id":"` + id1 + `"`, `"user_id":"bob"`, `"claims":["api_key"]`}},
		{"session.create", []string{`"session_id":"` + id2 + `"`, `"user_id":"carol"`}},
		{"session.create", []string{`"session_id":"` + id3 + `"`, `"user_id":"dave"`}},
		{"session.set_claim", []string{`"session_id":"` + id1 + `"`, `"user_id":"bob"`, `"claim":"mfa"`}},
		{"session.delete_claim", []string{`"session_id":"` + id1 + `"`, `"user_id":"bob"`, `"claim":"api_key"`}},
		{"session.revoke", []string{`"session_id":"` + id1 + `"`, `"user_id":"bob"`}},
		{"sessions.revoke_user", []string{`"user_id":"carol"`, `"revoked":1`}},
		{"revocation.create", []string{`"jti":"jti-1"`}},
		{"revocation.create", []string{`"jti":"jti-2"`, `"iss":"https://idp.example"`}},
		{"revocation.create", []string{`"sub":"dave"`, `"revoked_sessions":1`}},
	}
	var lines []string
	sesWaitFor(t, 5*time.Second, "every audit line", func() bool {
		lines = logs.lines(line)
		return len(lines) >= len(want)
	})
	if len(lines) != len(want) {
		t.Fatalf("%d audit lines, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
	}
	for i, w := range want {
		l := lines[i]
		if !strings.Contains(l, `"level":"info"`) || !strings.Contains(l, `"action":"`+w.action+`"`) ||
			!strings.Contains(l, `"admin_peer":"127.0.0.1:`) || !strings.Contains(l, `"admin_listener":"`+adminAddr+`"`) {
			t.Errorf("audit line %d is not an info line of %s by the admin peer on %s: %s", i, w.action, adminAddr, l)
		}
		for _, id := range w.ids {
			if !strings.Contains(l, id) {
				t.Errorf("audit line of %s lacks %s: %s", w.action, id, l)
			}
		}
	}
	text := logs.text()
	for _, secret := range []string{tok1, tok2, tok3, secretValue} {
		if strings.Contains(text, secret) {
			t.Errorf("the log holds a token or claim value %q", secret)
		}
	}
}
