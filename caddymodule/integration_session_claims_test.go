package caddymodule

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestRefreshedClaimsAreWrittenIntoTheSession: a session without roles
// meets a validator on roles; the claim source is asked, the request
// passes, and the value is stored in the session with its fetch time, so
// every instance sharing the store sees it.
func TestRefreshedClaimsAreWrittenIntoTheSession(t *testing.T) {
	source := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"roles":["admin"]}`)
	}))
	t.Cleanup(source.Close)
	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	up := echoUpstream(t)
	g := startGateway(t, strings.NewReplacer("{SOURCE}", source.URL, "{ADMIN}", admin, "{UPSTREAM}", up.URL).Replace(`{
	admin {ADMIN}
	storage file_system {STORAGE}
	authgate {
		dev
		claim roles {
			fetch {SOURCE}/roles/{sub}
			path roles
			max_age 1m
		}
		session {
			store bolt {STORAGE}/sessions.db
			exchange dev
		}
	}
}
http://127.0.0.1:{PORT} {
	authgate {
		require roles includes admin
	}
	reverse_proxy {UPSTREAM}
}
`))
	r := send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+g.mint("pat"))
	wantStatus(t, r, http.StatusCreated)
	id := jsonField(t, r.body, "session_id")
	cookie := "Cookie: " + sessionCookieName + "=" + sesCookie(t, r).Value

	wantStatus(t, send(t, g.base, "GET", "/", "", cookie), http.StatusOK)
	sesWaitFor(t, 2*time.Second, "refreshed roles stored in the session", func() bool {
		got := send(t, "http://"+admin, "GET", "/authgate/sessions/"+id, "", jsonCT)
		var s struct {
			Claims map[string]json.RawMessage `json:"claims"`
		}
		_ = json.Unmarshal([]byte(got.body), &s)
		return strings.HasPrefix(string(s.Claims["roles"]), `{"t":`) && strings.Contains(string(s.Claims["roles"]), `"v":["admin"]`)
	})
}
