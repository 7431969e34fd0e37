package caddymodule

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestAdminAPIReadsAndDeletesNeedNoContentType calls the real admin
// endpoint the way curl does: a body-less GET or DELETE carries no
// Content-Type and must work, while anything with a body still has to be
// JSON and an Origin header is still refused.
func TestAdminAPIReadsAndDeletesNeedNoContentType(t *testing.T) {
	_, admin := startAdminGateway(t)
	created := send(t, admin, "POST", "/authgate/sessions", `{"user_id":"bob"}`, jsonCT)
	wantStatus(t, created, http.StatusCreated)
	var ses struct {
		ID string `json:"session_id"`
	}
	if err := json.Unmarshal([]byte(created.body), &ses); err != nil || ses.ID == "" {
		t.Fatalf("create answer %s", created.body)
	}

	for _, tc := range []struct {
		name, method, path, body string
		headers                  []string
		want                     int
	}{
		{"a GET without Content-Type lists", "GET", "/authgate/sessions?user_id=bob", "", nil, 200},
		{"a GET with a text body is refused", "GET", "/authgate/sessions?user_id=bob", "x", []string{"Content-Type: text/plain"}, 415},
		{"a GET with a body but no Content-Type is refused", "GET", "/authgate/sessions?user_id=bob", "{}", nil, 415},
		{"a GET with a form content type is refused", "GET", "/authgate/sessions?user_id=bob", "", []string{"Content-Type: application/x-www-form-urlencoded"}, 415},
		{"a GET with an Origin is refused", "GET", "/authgate/sessions?user_id=bob", "", []string{"Origin: http://evil.example"}, 403},
		{"a POST without Content-Type is refused", "POST", "/authgate/sessions", `{"user_id":"x"}`, nil, 415},
		{"a PUT without Content-Type is refused", "PUT", "/authgate/sessions/" + ses.ID + "/claims/mfa", `true`, nil, 415},
		{"a DELETE with a text body is refused", "DELETE", "/authgate/sessions/" + ses.ID, "x", []string{"Content-Type: text/plain"}, 415},
		{"a DELETE without Content-Type revokes", "DELETE", "/authgate/sessions/" + ses.ID, "", nil, 204},
		{"a DELETE of all sessions without Content-Type works", "DELETE", "/authgate/sessions?user_id=bob", "", nil, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantStatus(t, send(t, admin, tc.method, tc.path, tc.body, tc.headers...), tc.want)
		})
	}
}
