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

// Adversarial races of attest, revocation and migration on the shared
// Redis store, across two gateway instances: a session attested while it
// is revoked must not survive the revocation, one session cannot be
// attested into twice, and an opaque token migrated on one instance is
// spent on the other.

// factorsOf returns how many authentication factors an exchange answer
// lists: 2 or more when it attested a session, 1 for a new one.
func factorsOf(t *testing.T, r response) int {
	t.Helper()
	var v struct {
		Factors []json.RawMessage `json:"authentication_factors"`
	}
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("exchange answer %s: %v", r.body, err)
	}
	return len(v.Factors)
}

// twoRedisInstances starts an in-process gateway with its admin API and a
// second instance (a process) on the same Redis and dev key.
func twoRedisInstances(t *testing.T) (a *gateway, admin, b string) {
	t.Helper()
	redisURL := testRedisURL(t)
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	site := strings.NewReplacer("{REDIS}", redisURL, "{UPSTREAM}", echoUpstream(t).URL).Replace(redisSite)
	adminAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	a = startGateway(t, strings.ReplaceAll(site, "{ADMIN}", adminAddr))
	b = startSecondInstance(t, strings.NewReplacer("{ADMIN}", "off", "{STORAGE}", a.storage).Replace(site))
	return a, "http://" + adminAddr, b
}

// TestAttackAttestRaces: concurrent attests of one session, on two
// instances, rotate it once; an attest racing the session's deletion or
// its subject's revocation never leaves a live session behind the
// revocation.
func TestAttackAttestRaces(t *testing.T) {
	a, admin, b := twoRedisInstances(t)
	run := fmt.Sprint(time.Now().UnixNano())
	fresh := func(sub, jti string, amr ...string) string {
		return sesDevToken(t, a, jwt.MapClaims{"sub": sub, "iat": time.Now().Unix(), "jti": jti + "-" + run, "amr": amr})
	}

	t.Run("six attests of one session rotate it once", func(t *testing.T) {
		sub := "many-" + run
		first := exchangeWith(t, a, fresh(sub, "many-0", "pwd"), "")
		wantStatus(t, first, http.StatusCreated)
		old := cookieOf(t, first)
		results := make([]response, 6)
		var wg sync.WaitGroup
		for i := range results {
			base := a.base
			if i%2 == 1 {
				base = b
			}
			tok := fresh(sub, fmt.Sprint("many-", i+1), "otp")
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = send(t, base, "POST", "/.authgate/session", "", "Authorization: Bearer "+tok, old)
			}()
		}
		wg.Wait()
		attested := 0
		for _, r := range results {
			switch {
			case r.status == http.StatusCreated && factorsOf(t, r) > 1:
				attested++
				wantStatus(t, send(t, b, "GET", "/", "", cookieOf(t, r)), http.StatusOK)
			case r.status == http.StatusCreated:
				// The session was gone when this one looked: a new session
				// of the fresh token, which is the user's own.
			case r.status == http.StatusUnauthorized && strings.Contains(r.body, "session_revoked"):
			default:
				t.Errorf("racing attest answered %d %s", r.status, r.body)
			}
		}
		if attested != 1 {
			t.Fatalf("one session was attested into %d times", attested)
		}
		refusedWithin(t, time.Second, "the rotated-out token on B", func() int { return send(t, b, "GET", "/", "", old).status })
	})

	t.Run("an attest racing the session's deletion", func(t *testing.T) {
		for i := range 8 {
			sub := fmt.Sprint("del-", i, "-", run)
			first := exchangeWith(t, a, fresh(sub, fmt.Sprint("del-a-", i), "pwd"), "")
			wantStatus(t, first, http.StatusCreated)
			id := jsonField(t, first.body, "session_id")
			tok := fresh(sub, fmt.Sprint("del-b-", i), "otp")
			var attest, del response
			var wg sync.WaitGroup
			wg.Add(2)
			go func() {
				defer wg.Done()
				base := a.base
				if i%2 == 1 {
					base = b
				}
				attest = send(t, base, "POST", "/.authgate/session", "", "Authorization: Bearer "+tok, cookieOf(t, first))
			}()
			go func() { defer wg.Done(); del = send(t, admin, "DELETE", "/authgate/sessions/"+id, "") }()
			wg.Wait()
			if del.status == http.StatusNoContent && attest.status == http.StatusCreated && factorsOf(t, attest) > 1 {
				refusedWithin(t, time.Second, "a session attested while it was deleted", func() int {
					return send(t, b, "GET", "/", "", cookieOf(t, attest)).status
				})
			}
		}
	})

	t.Run("an attest racing the subject's revocation", func(t *testing.T) {
		for i := range 8 {
			sub := fmt.Sprint("rev-", i, "-", run)
			first := exchangeWith(t, a, fresh(sub, fmt.Sprint("rev-a-", i), "pwd"), "")
			wantStatus(t, first, http.StatusCreated)
			// Minted before the revocation: whatever session it makes must
			// end with the revocation.
			tok := fresh(sub, fmt.Sprint("rev-b-", i), "otp")
			until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
			var attest, rev response
			var wg sync.WaitGroup
			wg.Add(2)
			go func() {
				defer wg.Done()
				attest = send(t, b, "POST", "/.authgate/session", "", "Authorization: Bearer "+tok, cookieOf(t, first))
			}()
			go func() {
				defer wg.Done()
				rev = send(t, admin, "POST", "/authgate/revocations", `{"sub":"`+sub+`","until":"`+until+`"}`, jsonCT)
			}()
			wg.Wait()
			wantStatus(t, rev, http.StatusCreated)
			if attest.status == http.StatusCreated {
				for _, base := range []string{a.base, b} {
					refusedWithin(t, time.Second, fmt.Sprintf("a session (%d factors) made while its subject was revoked", factorsOf(t, attest)), func() int {
						return send(t, base, "GET", "/", "", cookieOf(t, attest)).status
					})
				}
			}
			refusedWithin(t, time.Second, "the revoked subject's first session", func() int { return send(t, b, "GET", "/", "", cookieOf(t, first)).status })
		}
	})
}

// migrateTwoSite is the migration site on the shared Redis store.
const migrateTwoSite = `{
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
			store redis {REDIS} {
				timeout 3s
			}
			exchange mig
			{BIND}
		}
	}
}
http://127.0.0.1:{PORT} {
	authgate
	reverse_proxy {UPSTREAM}
}
`

// freshIntrospection answers for any "live-…" token: issued now, with an
// expiry only for "live-exp-…" tokens.
func freshIntrospection(f *fakeService, w http.ResponseWriter, r *http.Request) {
	var body struct {
		SessionToken string `json:"session_token"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	f.record(body.SessionToken)
	if !strings.HasPrefix(body.SessionToken, "live-") {
		answerJSON(w, http.StatusNotFound, map[string]any{})
		return
	}
	s := map[string]any{"user_id": "alice", "iat": time.Now().Unix()}
	if strings.HasPrefix(body.SessionToken, "live-exp-") {
		s["expires_at"] = time.Now().Add(3 * time.Second).Unix()
	}
	answerJSON(w, http.StatusOK, map[string]any{"session": s})
}

// TestAttackMigratedTokenReplayedOnTwoInstances: one opaque token posted
// at once to two instances on the shared Redis becomes one session, and
// is refused as reused on either afterwards; with bind_to_token a
// migrated session ends at the expiry the service reported.
func TestAttackMigratedTokenReplayedOnTwoInstances(t *testing.T) {
	redisURL := testRedisURL(t)
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	svc := newFakeService(t, freshIntrospection)
	site := strings.NewReplacer("{REDIS}", redisURL, "{SVC}", svc.URL, "{UPSTREAM}", echoUpstream(t).URL, "{BIND}", "bind_to_token").Replace(migrateTwoSite)
	a := startGateway(t, site)
	b := startSecondInstance(t, strings.ReplaceAll(site, "{STORAGE}", a.storage))
	run := fmt.Sprint(time.Now().UnixNano())

	for round := range 3 {
		tok := fmt.Sprint("live-", round, "-", run)
		statuses := make([]int, 10)
		var wg sync.WaitGroup
		for i := range statuses {
			base := a.base
			if i%2 == 1 {
				base = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = send(t, base, "POST", "/.authgate/session", `{"id_token":"`+tok+`"}`, jsonCT).status
			}()
		}
		wg.Wait()
		created := 0
		for _, s := range statuses {
			switch s {
			case http.StatusCreated:
				created++
			case http.StatusUnauthorized, http.StatusTooManyRequests:
			default:
				t.Errorf("racing migration answered %d", s)
			}
		}
		if created != 1 {
			t.Fatalf("one opaque token made %d sessions across two instances: %v", created, statuses)
		}
		for _, base := range []string{a.base, b} {
			wantReason(t, send(t, base, "POST", "/.authgate/session", "", "Authorization: Bearer "+tok), http.StatusUnauthorized, "token_reused")
		}
	}

	// bind_to_token and a reported expiry 3 s ahead: the session ends then,
	// on both instances.
	r := send(t, a.base, "POST", "/.authgate/session", "", "Authorization: Bearer live-exp-"+run)
	wantStatus(t, r, http.StatusCreated)
	if got := expiresAt(t, r); got.After(time.Now().Add(4 * time.Second)) {
		t.Fatalf("expires_at %v outlives the reported expiry", got)
	}
	wantStatus(t, send(t, b, "GET", "/", "", cookieOf(t, r)), http.StatusOK)
	sesWaitFor(t, 8*time.Second, "the migrated session ends with the reported expiry on B", func() bool {
		return send(t, b, "GET", "/", "", cookieOf(t, r)).status == http.StatusUnauthorized
	})
}

// TestAttackSessionBearerRevokedOnAnotherInstance: a session token used as
// Bearer on two instances is refused on the second within a second of a
// logout on the first, as session_revoked.
func TestAttackSessionBearerRevokedOnAnotherInstance(t *testing.T) {
	redisURL := testRedisURL(t)
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	site := strings.NewReplacer("{REDIS}", redisURL, "{UPSTREAM}", echoUpstream(t).URL, "{ADMIN}", "off",
		"exchange dev", "exchange dev\n\t\t\tbearer on").Replace(redisSite)
	a := startGateway(t, site)
	b := startSecondInstance(t, strings.ReplaceAll(site, "{STORAGE}", a.storage))
	r := send(t, a.base, "POST", "/.authgate/session", `{"return":"token"}`, "Authorization: Bearer "+a.mint("bear-"+fmt.Sprint(time.Now().UnixNano())), jsonCT)
	wantStatus(t, r, http.StatusCreated)
	bearer := "Authorization: Bearer " + jsonField(t, r.body, "session_token")
	wantStatus(t, send(t, b, "GET", "/", "", bearer), http.StatusOK) // cached on B
	wantStatus(t, send(t, a.base, "POST", "/.authgate/logout", "", bearer), http.StatusNoContent)
	refusedWithin(t, time.Second, "the logged-out bearer token on B", func() int { return send(t, b, "GET", "/", "", bearer).status })
	wantReason(t, send(t, b, "GET", "/", "", bearer), http.StatusUnauthorized, "session_revoked")
}
