package caddymodule

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// accessLogSite is a dev-mode gateway with edge sessions whose site writes
// Caddy's access log as JSON to {ACCESS}; {LOG} sends every other line to
// a file too.
const accessLogSite = `{
	admin off
	storage file_system {STORAGE}
	{LOG}
	authgate {
		dev
		session {
			store bolt {STORAGE}/sessions.db
			exchange dev
		}
	}
}
http://127.0.0.1:{PORT} {
	log {
		output file {ACCESS} {
			roll_disabled
		}
		format json
	}
	handle /admin/* {
		authgate {
			require roles includes admin
		}
		reverse_proxy {UPSTREAM}
	}
	handle {
		authgate
		reverse_proxy {UPSTREAM}
	}
}
`

// accessLine is the part of a Caddy access-log entry these tests read.
type accessLine struct {
	Request struct {
		URI string `json:"uri"`
	} `json:"request"`
	UserID string `json:"user_id"`
	Status int    `json:"status"`
	Auth   *struct {
		Outcome   string   `json:"outcome"`
		Reason    string   `json:"reason"`
		Verifier  string   `json:"verifier"`
		SessionID string   `json:"session_id"`
		Failed    []string `json:"failed"`
		Cache     string   `json:"cache"`
	} `json:"auth"`
}

// accessEntry waits for the access-log entry of the request to uri and
// returns it; the entry is written after the response is sent.
func accessEntry(t *testing.T, path, uri string) accessLine {
	t.Helper()
	var found accessLine
	sesWaitFor(t, 5*time.Second, "the access-log entry of "+uri, func() bool {
		b, _ := os.ReadFile(path)
		for _, line := range strings.Split(string(b), "\n") {
			var e accessLine
			if line != "" && json.Unmarshal([]byte(line), &e) == nil && e.Request.URI == uri {
				found = e
				return true
			}
		}
		return false
	})
	return found
}

// TestAccessLogCarriesTheDecision reads the access log a real Caddy
// writes: every decision is the object "auth" of its request's entry
// (outcome, reason, verifier, session id, the failed validators of a 403,
// whether the identity cache answered), Caddy's user_id names the user of
// a 403, and no token or cookie value appears in any line.
func TestAccessLogCarriesTheDecision(t *testing.T) {
	logs := newCaddyLog(t)
	access := filepath.Join(t.TempDir(), "access.log")
	up := echoUpstream(t)
	g := startGateway(t, strings.NewReplacer("{LOG}", logs.option(), "{ACCESS}", access, "{UPSTREAM}", up.URL).Replace(accessLogSite))
	var secrets []string
	bearer := func(tok string) string {
		secrets = append(secrets, tok)
		if sig := tok[strings.LastIndexByte(tok, '.')+1:]; len(sig) > 20 {
			secrets = append(secrets, sig) // a signature alone is a secret too
		}
		return "Authorization: Bearer " + tok
	}

	t.Run("a 403 names the failed validators and the user", func(t *testing.T) {
		r := g.do("GET", "/admin/x", bearer(g.mint("alice", `roles=["editor"]`)))
		ids := wantFailedIDs(t, r, "roles")
		e := accessEntry(t, access, "/admin/x")
		if e.Status != http.StatusForbidden || e.UserID != "alice" || e.Auth == nil {
			t.Fatalf("entry %+v: want status 403, user_id alice and an auth object", e)
		}
		if e.Auth.Outcome != "forbidden" || e.Auth.Reason != "policy_denied" || e.Auth.Verifier == "" ||
			!slices.Equal(e.Auth.Failed, []string{ids[0].ID}) {
			t.Errorf("auth %+v: want forbidden, policy_denied, a verifier and failed [%s]", *e.Auth, ids[0].ID)
		}
	})

	t.Run("a 401 has the reason code", func(t *testing.T) {
		for uri, reason := range map[string]string{"/none": "missing_credential", "/bad": "malformed"} {
			var r response
			if uri == "/none" {
				r = g.do("GET", uri)
			} else {
				r = g.do("GET", uri, bearer("not-a.jwt-at.all"))
			}
			wantReason(t, r, http.StatusUnauthorized, reason)
			e := accessEntry(t, access, uri)
			if e.Auth == nil || e.Auth.Outcome != "unauthorized" || e.Auth.Reason != reason || e.UserID != "" {
				t.Errorf("%s: entry %+v auth %+v: want unauthorized, %s, no user", uri, e, e.Auth, reason)
			}
		}
	})

	t.Run("an allowed request, then a cache hit", func(t *testing.T) {
		tok := bearer(g.mint("bob"))
		first := ""
		// The identity cache stores asynchronously: the first requests may
		// all miss, a later one hits.
		for i := 0; i < 50; i++ {
			uri := "/ok/" + string(rune('a'+i%26)) + strings.Repeat("z", i/26)
			wantStatus(t, g.do("GET", uri, tok), http.StatusOK)
			e := accessEntry(t, access, uri)
			if e.Auth == nil || e.Auth.Outcome != "allowed" || e.UserID != "bob" || e.Auth.Verifier == "" || e.Auth.Reason != "" {
				t.Fatalf("%s: entry %+v auth %+v: want allowed with user bob and a verifier", uri, e, e.Auth)
			}
			if i == 0 {
				first = e.Auth.Cache
			}
			if e.Auth.Cache == "hit" {
				if first != "miss" {
					t.Errorf("first request: cache %q, want miss", first)
				}
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatal("no request was answered from the identity cache")
	})

	t.Run("a session names its id, never its token", func(t *testing.T) {
		r := send(t, g.base, "POST", "/.authgate/session", "", bearer(g.mint("carol")))
		wantStatus(t, r, http.StatusCreated)
		var created struct {
			SessionID string `json:"session_id"`
		}
		if err := json.Unmarshal([]byte(r.body), &created); err != nil || created.SessionID == "" {
			t.Fatalf("exchange body %s (%v)", r.body, err)
		}
		cookie := sesCookie(t, r).Value
		secrets = append(secrets, cookie)
		wantStatus(t, g.do("GET", "/s", "Cookie: "+sessionCookieName+"="+cookie), http.StatusOK)
		e := accessEntry(t, access, "/s")
		if e.Auth == nil || e.Auth.Outcome != "allowed" || e.Auth.Verifier != "session" ||
			e.Auth.SessionID != created.SessionID || e.UserID != "carol" {
			t.Errorf("entry %+v auth %+v: want allowed by session %s for carol", e, e.Auth, created.SessionID)
		}
	})

	all, err := os.ReadFile(access)
	if err != nil {
		t.Fatal(err)
	}
	text := string(all) + logs.text()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("a log line carries a credential (%d bytes)", len(s))
		}
	}
}
