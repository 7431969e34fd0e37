package caddymodule

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig"
)

// migrateSite exchanges opaque sessions of a Stytch-like service for edge
// sessions (Stytch's migrate).
const migrateSite = `{
	admin off
	storage file_system {STORAGE}
	authgate {
		introspect stytch {
			url {STYTCH}/v1/sessions/authenticate
			token_field session_token
			inactive_status 401 404
			subject_path session.user_id
			subject_template stytch:{sub}
			claims_path session.custom_claims
			expires_path session.expires_at
			{IAT}
		}
		session {
			store bolt {STORAGE}/sessions.db
			exchange stytch
		}
	}
}
http://127.0.0.1:{PORT} {
	authgate
	reverse_proxy {UPSTREAM}
}
`

// stytchMigrateAPI answers like Stytch's sessions/authenticate: sessions
// started a minute ago ("sess-fresh-*") or an hour ago ("sess-old"), each
// ending in ten minutes.
func stytchMigrateAPI(f *fakeService, w http.ResponseWriter, r *http.Request) {
	var body struct {
		SessionToken string `json:"session_token"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	f.record(body.SessionToken)
	started := map[string]time.Duration{"sess-fresh-1": time.Minute, "sess-fresh-2": time.Minute, "sess-old": time.Hour}
	age, ok := started[body.SessionToken]
	if !ok {
		answerJSON(w, http.StatusNotFound, map[string]any{"error_type": "session_not_found"})
		return
	}
	now := time.Now()
	answerJSON(w, http.StatusOK, map[string]any{"session": map[string]any{
		"user_id": "user-alice", "started_at": now.Add(-age).UTC().Format(time.RFC3339),
		"expires_at":    now.Add(10 * time.Minute).UTC().Format(time.RFC3339),
		"custom_claims": map[string]any{"email": "alice@example.com"},
	}})
}

func migrateCaddyfile(t *testing.T, iat string) (string, *fakeService) {
	t.Helper()
	stytch := newFakeService(t, stytchMigrateAPI)
	return strings.NewReplacer("{STYTCH}", stytch.URL, "{IAT}", iat, "{UPSTREAM}", echoUpstream(t).URL).Replace(migrateSite), stytch
}

func TestMigrateOpaqueSessionsFromIntrospection(t *testing.T) {
	site, stytch := migrateCaddyfile(t, "iat_path session.started_at")
	g := startGateway(t, site)
	migrate := func(tok string) response {
		return send(t, g.base, "POST", "/.authgate/session", `{"id_token":"`+tok+`"}`, jsonCT)
	}
	r := migrate("sess-fresh-1")
	wantStatus(t, r, http.StatusCreated)
	if got := expiresAt(t, r); got.After(time.Now().Add(10*time.Minute + time.Second)) {
		t.Errorf("expires_at %v outlives the migrated session (ten minutes)", got)
	}
	up := g.do("GET", "/", "Cookie: "+sessionCookieName+"="+sesCookie(t, r).Value)
	wantStatus(t, up, http.StatusOK)
	if up.upstream.Get("X-Auth-User-Id") != "stytch:user-alice" || up.upstream.Get("X-Auth-Email") != "alice@example.com" {
		t.Errorf("upstream saw %v", up.upstream)
	}
	// Each opaque token migrates once, by its hash; a Bearer copy too.
	wantReason(t, migrate("sess-fresh-1"), http.StatusUnauthorized, "token_reused")
	wantReason(t, send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer sess-fresh-1"), http.StatusUnauthorized, "token_reused")
	wantStatus(t, send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer sess-fresh-2"), http.StatusCreated)
	// exchange_max_age (5m) applies to the session's start, not the call.
	wantReason(t, migrate("sess-old"), http.StatusUnauthorized, "too_old")
	wantReason(t, migrate("sess-unknown"), http.StatusUnauthorized, "inactive")
	// Every exchange asked the service afresh (replays included), never
	// its cache, and the introspect block reads no credential on routes.
	if n := len(stytch.callsFor("sess-fresh-1")); n != 3 {
		t.Errorf("sess-fresh-1 was introspected %d times, want 3", n)
	}
	wantReason(t, g.do("GET", "/", "Authorization: Bearer sess-fresh-2"), http.StatusUnauthorized, "missing_credential")
	// The gateway's own session token is never sent to the service, nor
	// exchanged for another session.
	own := sesCookie(t, r).Value
	wantReason(t, migrate(own), http.StatusUnauthorized, "bad_issuer")
	wantReason(t, send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+own), http.StatusUnauthorized, "bad_issuer")
	if n := len(stytch.callsFor(own)); n != 0 {
		t.Errorf("the session token was sent to the introspection endpoint %d times", n)
	}
}

func TestMigrateWithoutIatPathIsRefusedAtLoad(t *testing.T) {
	site, _ := migrateCaddyfile(t, "")
	_, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(strings.ReplaceAll(site, "{PORT}", "1")), nil)
	if err == nil || !strings.Contains(err.Error(), "introspect stytch has no iat_path") || !strings.Contains(err.Error(), "at Caddyfile:") {
		t.Fatalf("adapting: %v; want the iat_path refusal with its line", err)
	}
	// The same configuration as JSON is refused when it loads.
	withIat, _ := migrateCaddyfile(t, "iat_path session.started_at")
	withIat = strings.NewReplacer("{PORT}", "1", "{STORAGE}", t.TempDir()).Replace(withIat)
	cfg := []byte(strings.Replace(string(adaptCaddyfile(t, withIat)), `,"iat_path":"session.started_at"`, "", 1))
	if strings.Contains(string(cfg), "iat_path") {
		t.Fatalf("could not drop iat_path from %s", cfg)
	}
	wantLoadError(t, cfg, "introspect stytch has no iat_path")
}
