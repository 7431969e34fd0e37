package caddymodule

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Adversarial tests of session exchange: hostile exchange bodies, issue
// times an introspection service reports, replays raced across two
// instances, and fixation through a planted cookie.

// TestAttackExchangeBodyOptions: session_duration spellings an attacker
// tries to stretch a session with, duplicate and case-variant members
// (Go's JSON decoding matches members case-insensitively and keeps the
// last), and claim members. Each refusal is a 400 that leaves the token
// unspent; ignored members never become claims.
func TestAttackExchangeBodyOptions(t *testing.T) {
	g, _ := startExchangeGateway(t, "lifetime 30m")
	for _, tc := range []struct{ name, extra, reason string }{
		{"a number out of float range", `"session_duration":1e309`, "invalid_session_duration"},
		{"an exponent", `"session_duration":1e3`, "invalid_session_duration"},
		{"minus one", `"session_duration":-1`, "invalid_session_duration"},
		{"zero seconds as a string", `"session_duration":"0s"`, "invalid_session_duration"},
		{"a count as a string", `"session_duration":"60"`, "invalid_session_duration"},
		{"a unit after a space", `"session_duration":"10 s"`, "invalid_session_duration"},
		{"days with an exponent", `"session_duration":"1e3d"`, "invalid_session_duration"},
		{"an overflowing day count", `"session_duration":"99999999999d"`, "invalid_session_duration"},
		{"a boolean", `"session_duration":true`, "invalid_session_duration"},
		{"an array", `"session_duration":[60]`, "invalid_session_duration"},
		{"an object", `"session_duration":{"s":60}`, "invalid_session_duration"},
		{"an hour above a 30m lifetime", `"session_duration":"1h"`, "session_duration_too_long"},
		{"a duplicate member: the last counts", `"session_duration":60,"session_duration":"2h"`, "session_duration_too_long"},
		{"a case variant of the member", `"SESSION_DURATION":"2h"`, "session_duration_too_long"},
		{"claims spelt in capitals", `"CLAIMS":{"roles":["admin"]}`, "claims_not_allowed"},
		{"claims as null", `"claims":null`, "claims_not_allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := g.mint("alice")
			wantReason(t, exchangeBody(t, g, tok, tc.extra), http.StatusBadRequest, tc.reason)
			wantStatus(t, exchangeBody(t, g, tok, ""), http.StatusCreated)
		})
	}
	// Members named after claims are ignored, and so is an amr: the
	// session's claims come from the token only.
	r := exchangeBody(t, g, g.mint("alice"), `"roles":["admin"],"amr":["mfa","hwk"],"sub":"root","user_id":"root"`)
	wantStatus(t, r, http.StatusCreated)
	c := whoamiClaims(t, g, cookieOf(t, r))
	if c["roles"] != nil || c["amr"] != nil {
		t.Fatalf("claims %v: the body chose roles or amr", c)
	}
	if up := g.do("GET", "/", cookieOf(t, r)); up.upstream.Get("X-Auth-User-Id") != "alice" {
		t.Fatalf("upstream saw user %q", up.upstream.Get("X-Auth-User-Id"))
	}
	// A duplicate id_token member: one token is exchanged, the other stays
	// unspent (never both, never a mix).
	a, b := g.mint("alice"), g.mint("bob")
	r = send(t, g.base, "POST", "/.authgate/session", `{"id_token":"`+a+`","id_token":"`+b+`"}`, jsonCT)
	wantStatus(t, r, http.StatusCreated)
	if got := g.do("GET", "/", cookieOf(t, r)).upstream.Get("X-Auth-User-Id"); got != "bob" {
		t.Fatalf("duplicate id_token made a session of %q, want the last member's (bob)", got)
	}
	wantStatus(t, exchangeWith(t, g, a, ""), http.StatusCreated)
}

// TestAttackExchangeFixationAndAttestSmuggling: a cookie the attacker
// planted (her own session, or a made-up value) never carries the
// victim's identity; attesting while holding the victim's session with a
// token that claims more never adds roles; a deny-listed token cannot
// attest.
func TestAttackExchangeFixationAndAttestSmuggling(t *testing.T) {
	g, admin := startExchangeGateway(t, "")
	mallory := cookieOf(t, exchangeWith(t, g, g.mint("mallory"), ""))
	for _, planted := range []string{mallory, "Cookie: " + sessionCookieName + "=ags_planted-by-mallory"} {
		r := exchangeWith(t, g, g.mint("alice"), planted)
		wantStatus(t, r, http.StatusCreated)
		victim := cookieOf(t, r)
		if victim == planted {
			t.Fatal("the exchange kept the planted session token")
		}
		if up := g.do("GET", "/", planted); up.status == http.StatusOK {
			t.Fatalf("planted cookie still works, as %q", up.upstream.Get("X-Auth-User-Id"))
		}
		if got := g.do("GET", "/", victim).upstream.Get("X-Auth-User-Id"); got != "alice" {
			t.Fatalf("victim's session is %q's", got)
		}
	}

	// Attest with a token claiming admin roles, an amr and a subject-like
	// claim: only the amr joins.
	now := time.Now()
	first := exchangeWith(t, g, sesDevToken(t, g, jwt.MapClaims{"sub": "carol", "iat": now.Unix(), "jti": "smuggle-1", "roles": []string{"viewer"}}), "")
	wantStatus(t, first, http.StatusCreated)
	second := exchangeWith(t, g, sesDevToken(t, g, jwt.MapClaims{"sub": "carol", "iat": now.Unix(), "jti": "smuggle-2",
		"roles": []string{"admin"}, "amr": []string{"mfa"}, "groups": []string{"wheel"}, "session_id": "x"}), cookieOf(t, first))
	wantStatus(t, second, http.StatusCreated)
	c := whoamiClaims(t, g, cookieOf(t, second))
	if fmt.Sprint(c["roles"]) != "[viewer]" || c["groups"] != nil || fmt.Sprint(c["amr"]) != "[mfa]" {
		t.Fatalf("claims after attest %v: want roles [viewer], no groups, amr [mfa]", c)
	}

	// A deny-listed token neither attests nor mints.
	until := now.Add(time.Hour).UTC().Format(time.RFC3339)
	denied := sesDevToken(t, g, jwt.MapClaims{"sub": "carol", "iat": now.Unix(), "jti": "smuggle-denied", "amr": []string{"hwk"}})
	wantStatus(t, send(t, admin, "POST", "/authgate/revocations", `{"jti":"smuggle-denied","until":"`+until+`"}`, jsonCT), http.StatusCreated)
	wantReason(t, exchangeWith(t, g, denied, cookieOf(t, second)), http.StatusUnauthorized, "token_revoked")
	if amr := fmt.Sprint(whoamiClaims(t, g, cookieOf(t, second))["amr"]); amr != "[mfa]" {
		t.Fatalf("amr %s after a refused attest", amr)
	}
}

// migrateAttackSite exchanges opaque tokens whose answers report the
// issue time the token's name asks for.
const migrateAttackSite = `{
	admin off
	storage file_system {STORAGE}
	authgate {
		introspect mig {
			url {SVC}/introspect
			token_field session_token
			inactive_status 401 404
			subject_path session.user_id
			subject_template mig:{sub}
			expires_path session.expires_at
			iat_path session.iat
		}
		session {
			store bolt {STORAGE}/sessions.db
			exchange mig
			exchange_max_age 2s
			lifetime 1h
		}
	}
}
http://127.0.0.1:{PORT} {
	authgate
	reverse_proxy {UPSTREAM}
}
`

// lyingIntrospection answers for "NAME-…" tokens with the issue time and
// expiry NAME asks for.
func lyingIntrospection(f *fakeService, w http.ResponseWriter, r *http.Request) {
	var body struct {
		SessionToken string `json:"session_token"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	f.record(body.SessionToken)
	now := time.Now()
	s := map[string]any{"user_id": "alice"}
	switch name, _, _ := strings.Cut(body.SessionToken, "-"); name {
	case "future1h":
		s["iat"] = now.Add(time.Hour).Unix()
	case "future30s":
		s["iat"] = now.Add(30 * time.Second).Unix()
	case "farpast":
		s["iat"] = 1
	case "text":
		s["iat"] = "yesterday"
	case "huge":
		s["iat"] = json.Number("1e300")
	case "negative":
		s["iat"] = -5
	case "boolean":
		s["iat"] = true
	case "longexp":
		s["iat"], s["expires_at"] = now.Unix(), now.Add(10*365*24*time.Hour).Unix()
	case "shortexp":
		s["iat"], s["expires_at"] = now.Unix(), now.Add(90*time.Second).Unix()
	default:
		answerJSON(w, http.StatusNotFound, map[string]any{})
		return
	}
	answerJSON(w, http.StatusOK, map[string]any{"session": s})
}

// TestAttackMigrateIssueTimes: an issue time in the future must not make
// an opaque token look fresh for ever (and exchangeable again once its
// one-time marker is gone); absurd issue times are a failing service,
// never a session; a reported expiry bounds the session but never
// lengthens it past lifetime.
func TestAttackMigrateIssueTimes(t *testing.T) {
	svc := newFakeService(t, lyingIntrospection)
	g := startGateway(t, strings.NewReplacer("{SVC}", svc.URL, "{UPSTREAM}", echoUpstream(t).URL).Replace(migrateAttackSite))
	migrate := func(tok string) response {
		return send(t, g.base, "POST", "/.authgate/session", `{"id_token":"`+tok+`"}`, jsonCT)
	}
	// An issue time an hour ahead (a service's clock, or a lie) counts as
	// now for the claims, but the token stays spent while it looks fresh.
	wantStatus(t, migrate("future1h-a"), http.StatusCreated)
	wantReason(t, migrate("future1h-a"), http.StatusUnauthorized, "token_reused")
	wantReason(t, migrate("farpast-a"), http.StatusUnauthorized, "too_old")
	for _, tok := range []string{"text-aaaaaaaa", "huge-aaaaaaaa", "negative-aaaaaaaa", "boolean-aaaaaaaa"} {
		if r := migrate(tok); r.status != http.StatusServiceUnavailable {
			t.Errorf("%s: %d %s, want 503 (the service answered nonsense)", tok, r.status, r.body)
		}
	}
	r := migrate("longexp-a")
	wantStatus(t, r, http.StatusCreated)
	if got := expiresAt(t, r); got.After(time.Now().Add(time.Hour + time.Second)) {
		t.Errorf("expires_at %v: a reported expiry lengthened the session past lifetime", got)
	}
	r = migrate("shortexp-a")
	wantStatus(t, r, http.StatusCreated)
	if got := expiresAt(t, r); got.After(time.Now().Add(91 * time.Second)) {
		t.Errorf("expires_at %v outlives the reported expiry", got)
	}

	// A slightly future issue time (clock skew) exchanges once; after
	// exchange_max_age (2s) of real time the token is still not fresh
	// enough to be exchanged twice.
	wantStatus(t, migrate("future30s-a"), http.StatusCreated)
	wantReason(t, migrate("future30s-a"), http.StatusUnauthorized, "token_reused")
	time.Sleep(3 * time.Second)
	for _, tok := range []string{"future30s-a", "future1h-a"} {
		if r := migrate(tok); r.status == http.StatusCreated {
			t.Fatalf("%s: an opaque token reported as issued in the future was exchanged a second time", tok)
		}
	}
}

// TestAttackExchangeRaceOnTwoInstances: one JWT posted concurrently to two
// instances sharing Redis is exchanged exactly once; a session attested
// on one instance loses its old token on the other within a second, even
// with that instance's cache warm; a planted cookie of another subject
// ends on both.
func TestAttackExchangeRaceOnTwoInstances(t *testing.T) {
	redisURL := testRedisURL(t)
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	site := strings.NewReplacer("{REDIS}", redisURL, "{UPSTREAM}", echoUpstream(t).URL).Replace(redisSite)
	a := startGateway(t, strings.ReplaceAll(site, "{ADMIN}", "off"))
	b := startSecondInstance(t, strings.NewReplacer("{ADMIN}", "off", "{STORAGE}", a.storage).Replace(site))
	run := fmt.Sprint(time.Now().UnixNano())

	tok := sesDevToken(t, a, jwt.MapClaims{"sub": "race-" + run, "iat": time.Now().Unix(), "jti": "race-" + run})
	var wg sync.WaitGroup
	statuses := make([]int, 12)
	for i := range statuses {
		base := a.base
		if i%2 == 1 {
			base = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = send(t, base, "POST", "/.authgate/session", "", "Authorization: Bearer "+tok).status
		}()
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		switch s {
		case http.StatusCreated:
			created++
		case http.StatusUnauthorized:
		default:
			t.Errorf("racing exchange answered %d", s)
		}
	}
	if created != 1 {
		t.Fatalf("the same token was exchanged %d times across two instances: %v", created, statuses)
	}

	// Attest on A; B, which just served the old token, refuses it soon.
	sub := "rot-" + run
	first := exchangeWith(t, a, sesDevToken(t, a, jwt.MapClaims{"sub": sub, "iat": time.Now().Unix(), "jti": sub + "-1"}), "")
	wantStatus(t, first, http.StatusCreated)
	old := cookieOf(t, first)
	wantStatus(t, send(t, b, "GET", "/", "", old), http.StatusOK)
	second := exchangeWith(t, a, sesDevToken(t, a, jwt.MapClaims{"sub": sub, "iat": time.Now().Unix(), "jti": sub + "-2", "amr": []string{"otp"}}), old)
	wantStatus(t, second, http.StatusCreated)
	refusedWithin(t, time.Second, "the rotated-out token on B", func() int { return send(t, b, "GET", "/", "", old).status })
	wantStatus(t, send(t, b, "GET", "/", "", cookieOf(t, second)), http.StatusOK)

	// Fixation across instances: mallory's session planted, the victim
	// exchanges on B; mallory's token is dead on A within a second.
	planted := cookieOf(t, exchangeWith(t, a, sesDevToken(t, a, jwt.MapClaims{"sub": "mal-" + run, "iat": time.Now().Unix(), "jti": "mal-" + run}), ""))
	wantStatus(t, send(t, a.base, "GET", "/", "", planted), http.StatusOK)
	victim := send(t, b, "POST", "/.authgate/session", "", "Authorization: Bearer "+a.mint("vic-"+run), planted)
	wantStatus(t, victim, http.StatusCreated)
	refusedWithin(t, time.Second, "the planted session on A", func() int { return send(t, a.base, "GET", "/", "", planted).status })
	if got := send(t, a.base, "GET", "/", "", cookieOf(t, victim)).upstream.Get("X-Auth-User-Id"); got != "vic-"+run {
		t.Fatalf("victim's session on A is %q's", got)
	}
}
