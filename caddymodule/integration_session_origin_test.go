package caddymodule

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authgate/authgate/verifier/verifiertest"
)

// originSite exchanges tokens of two issuers for sessions and has routes
// that accept some verifiers only.
const originSite = `{
	admin {ADMIN}
	storage file_system {STORAGE}
	authgate {
		jwt idpA {
			issuer idp-a
			audience any
			key_file {KEY_A}
			subject_template idpA:{sub}
		}
		jwt idpB {
			issuer idp-b
			audience any
			key_file {KEY_B}
			subject_template idpB:{sub}
		}
		session {
			store bolt {STORAGE}/sessions.db
			exchange idpA idpB
		}
	}
}
http://127.0.0.1:{PORT} {
	handle /a/* {
		authgate {
			verifiers idpA session
		}
		reverse_proxy {UPSTREAM}
	}
	handle /sessions/* {
		authgate {
			verifiers session
		}
		reverse_proxy {UPSTREAM}
	}
	handle /tokens-of-a/* {
		authgate {
			verifiers idpA
		}
		reverse_proxy {UPSTREAM}
	}
	handle {
		authgate
		reverse_proxy {UPSTREAM}
	}
}
`

// TestRouteVerifiersBindSessions: a route that accepts idpA and sessions
// must not accept a session exchanged from an idpB token, which it would
// refuse as a Bearer token.
func TestRouteVerifiersBindSessions(t *testing.T) {
	f := &issuers{keyA: verifiertest.NewECKey("a"), keyB: verifiertest.NewECKey("b")}
	dir := t.TempDir()
	pathA, pathB := filepath.Join(dir, "a.pem"), filepath.Join(dir, "b.pem")
	for path, key := range map[string]*verifiertest.Key{pathA: f.keyA, pathB: f.keyB} {
		if err := os.WriteFile(path, key.PublicPEM(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	adminAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	f.admin = "http://" + adminAddr
	f.gateway = startGateway(t, strings.NewReplacer("{ADMIN}", adminAddr, "{KEY_A}", pathA, "{KEY_B}", pathB,
		"{UPSTREAM}", echoUpstream(t).URL).Replace(originSite))

	bearerB := "Authorization: Bearer " + f.token(f.keyB, "idp-b", "mallory")
	sessionA := f.exchange(t, f.token(f.keyA, "idp-a", "alice"))
	sessionB := f.exchange(t, f.token(f.keyB, "idp-b", "mallory"))
	created := send(t, f.admin, "POST", "/authgate/sessions", `{"user_id":"support"}`, jsonCT)
	wantStatus(t, created, http.StatusCreated)
	var made struct {
		Token string `json:"session_token"`
	}
	if err := json.Unmarshal([]byte(created.body), &made); err != nil {
		t.Fatal(err)
	}
	sessionAdmin := "Cookie: " + sessionCookieName + "=" + made.Token

	for _, tc := range []struct {
		name, path, cred string
		status           int
		reason           string
	}{
		{"idpB's Bearer token on an idpA route", "/a/", bearerB, 401, "bad_issuer"},
		{"a session exchanged from an idpB token on an idpA route", "/a/", sessionB, 401, "bad_issuer"},
		{"a session exchanged from an idpA token on an idpA route", "/a/", sessionA, 200, ""},
		{"an admin-made session where session is listed", "/a/", sessionAdmin, 200, ""},
		{"an idpB session where session alone is listed", "/sessions/", sessionB, 200, ""},
		{"an admin-made session where session alone is listed", "/sessions/", sessionAdmin, 200, ""},
		{"a session where only idpA tokens are read", "/tokens-of-a/", sessionA, 401, "missing_credential"},
		{"an idpB session where every verifier is accepted", "/", sessionB, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do("GET", tc.path, tc.cred)
			if tc.reason != "" {
				wantReason(t, r, tc.status, tc.reason)
				if r.upstream != nil && r.upstream.Get("X-Auth-User-Id") != "" {
					t.Fatalf("refused, yet the upstream saw %q", r.upstream.Get("X-Auth-User-Id"))
				}
				return
			}
			wantStatus(t, r, tc.status)
		})
	}
}
