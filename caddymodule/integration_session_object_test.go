package caddymodule

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/internal/oidctest"
)

// objectSite is a gateway whose upstream headers use the session object's
// fields, with a route that requires the mfa claim to exist, and roles
// refreshed from a claim source (so the admin API refuses to set them).
const objectSite = `{
	admin {ADMIN}
	storage file_system {STORAGE}
	authgate {
		dev
		claim roles {
			fetch http://127.0.0.1:9/roles/{sub}
			path roles
		}
		session {
			store {STORE}
			exchange dev
			idle_timeout 10s
			lifetime 1h
		}
		header X-Auth-User-Id {sub}
		header X-Auth-Email {claims.email}
		header X-Auth-Started {session.started_at}
		header X-Auth-Amr {session.amr}
		header X-Auth-Via {session.verifier}
		header X-Auth-Idle {session.idle_expires_at}
		header X-Auth-Expires {session.expires_at}
		header X-Auth-Accessed {session.last_accessed_at}
	}
}
http://127.0.0.1:{PORT} {
	handle /mfa/* {
		authgate {
			require mfa exists
		}
		reverse_proxy {UPSTREAM}
	}
	handle {
		authgate
		reverse_proxy {UPSTREAM}
	}
}
`

// startObjectGateway runs objectSite on store (a `store` line's
// arguments) and returns it with its admin API's base URL.
func startObjectGateway(t *testing.T, store string) (*gateway, string) {
	t.Helper()
	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	site := strings.NewReplacer("{STORE}", store, "{ADMIN}", admin, "{UPSTREAM}", echoUpstream(t).URL).Replace(objectSite)
	return startGateway(t, site), "http://" + admin
}

// objectStores are the stores every session object story runs on.
func objectStores(t *testing.T) map[string]string {
	stores := map[string]string{"bolt": "bolt {STORAGE}/sessions.db"}
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	stores["redis"] = "redis " + testRedisURL(t) + " {\n\t\t\t\ttimeout 3s\n\t\t\t}"
	return stores
}

// sessionObject is the session object of the exchange answer, the admin
// API and GET /.authgate/session.
type sessionObject struct {
	ID           string `json:"session_id"`
	Created      string `json:"created_at"`
	Started      string `json:"started_at"`
	LastSeen     string `json:"last_seen_at"`
	LastAccessed string `json:"last_accessed_at"`
	IdleExpires  string `json:"idle_expires_at"`
	Expires      string `json:"expires_at"`
	Verifier     string `json:"verifier"`
	Factors      []struct {
		Verifier string   `json:"verifier"`
		AMR      []string `json:"amr"`
		At       string   `json:"at"`
	} `json:"authentication_factors"`
}

func decodeObject(t *testing.T, body string) sessionObject {
	t.Helper()
	var o sessionObject
	if err := jsonUnmarshal(body, &o); err != nil || o.ID == "" {
		t.Fatalf("not a session object: %s (%v)", body, err)
	}
	return o
}

func parseRFC3339(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil || !strings.HasSuffix(s, "Z") {
		t.Fatalf("%q is not an RFC 3339 UTC time: %v", s, err)
	}
	return v
}

// TestSessionObjectShowsItsTimesAndFactors: a session exchanged from a
// token with amr shows Stytch's session object (started_at, the same as
// created_at; last_accessed_at; expires_at one lifetime after the start;
// idle_expires_at, which moves on use; the origin verifier; the factor
// with the token's methods) in the exchange answer, GET /.authgate/session
// and the admin API alike, and the upstream gets them through header
// templates. A session made through the admin API has no factor.
func TestSessionObjectShowsItsTimesAndFactors(t *testing.T) {
	for name, store := range objectStores(t) {
		t.Run(name, func(t *testing.T) { testSessionObject(t, store) })
	}
}

func testSessionObject(t *testing.T, store string) {
	g, admin := startObjectGateway(t, store)
	jti := make([]byte, 8)
	_, _ = rand.Read(jti)
	tok := sesDevToken(t, g, jwt.MapClaims{"sub": "ana", "amr": []any{"pwd", "otp"}, "iat": time.Now().Unix(), "jti": hex.EncodeToString(jti)})
	r := send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+tok)
	wantStatus(t, r, http.StatusCreated)
	o := decodeObject(t, r.body)
	cookie := "Cookie: " + sessionCookieName + "=" + sesCookie(t, r).Value
	started := parseRFC3339(t, o.Started)
	if o.Started != o.Created || o.LastAccessed != o.LastSeen || o.LastAccessed != o.Started {
		t.Errorf("started_at %s, created_at %s, last_accessed_at %s, last_seen_at %s: want all the same at creation", o.Started, o.Created, o.LastAccessed, o.LastSeen)
	}
	if got := parseRFC3339(t, o.Expires).Sub(started); got != time.Hour {
		t.Errorf("expires_at is %v after started_at, want the 1h lifetime", got)
	}
	if got := parseRFC3339(t, o.IdleExpires).Sub(started); got != 10*time.Second {
		t.Errorf("idle_expires_at is %v after started_at, want the 10s idle timeout", got)
	}
	if o.Verifier != "dev" || len(o.Factors) != 1 || o.Factors[0].Verifier != "dev" ||
		strings.Join(o.Factors[0].AMR, " ") != "pwd otp" || o.Factors[0].At != o.Started {
		t.Errorf("verifier %q, factors %+v; want dev, one dev factor with [pwd otp] at the start", o.Verifier, o.Factors)
	}

	// The upstream gets the fields through header templates.
	up := send(t, g.base, "GET", "/", "", cookie).upstream
	if up.Get("X-Auth-Started") != o.Started || up.Get("X-Auth-Amr") != "pwd,otp" || up.Get("X-Auth-Via") != "dev" {
		t.Errorf("upstream saw started %q, amr %q, via %q; want %s, pwd,otp, dev", up.Get("X-Auth-Started"), up.Get("X-Auth-Amr"), up.Get("X-Auth-Via"), o.Started)
	}
	// last_accessed_at may have moved on by a touch on a loaded machine,
	// never back.
	if up.Get("X-Auth-Expires") != o.Expires || parseRFC3339(t, up.Get("X-Auth-Accessed")).Before(parseRFC3339(t, o.LastAccessed)) {
		t.Errorf("upstream saw expires %q, last accessed %q; want %s, from %s on", up.Get("X-Auth-Expires"), up.Get("X-Auth-Accessed"), o.Expires, o.LastAccessed)
	}
	// A forged copy of the header is not what arrives.
	up = send(t, g.base, "GET", "/", "", cookie, "X-Auth-Amr: hwk").upstream
	if got := up.Values("X-Auth-Amr"); len(got) != 1 || got[0] != "pwd,otp" {
		t.Errorf("with a forged X-Auth-Amr the upstream saw %q", got)
	}

	// Who am I and the admin API show the same object.
	who := send(t, g.base, "GET", "/.authgate/session", "", cookie)
	wantStatus(t, who, http.StatusOK)
	var whoBody struct {
		Session sessionObject `json:"session"`
	}
	if err := jsonUnmarshal(who.body, &whoBody); err != nil {
		t.Fatal(err)
	}
	shown := decodeObject(t, send(t, admin, "GET", "/authgate/sessions/"+o.ID, "", jsonCT).body)
	for what, got := range map[string]sessionObject{"who am I": whoBody.Session, "admin API": shown} {
		if got.Started != o.Started || got.Expires != o.Expires || got.Verifier != "dev" || len(got.Factors) != 1 || got.Factors[0].At != o.Started {
			t.Errorf("%s shows %+v, want the exchanged session %+v", what, got, o)
		}
	}

	// A use after the touch interval (1s here) moves idle_expires_at and
	// last_accessed_at, in the object and in the headers.
	sesWaitFor(t, 5*time.Second, "idle_expires_at moving on use", func() bool {
		var b struct {
			Session sessionObject `json:"session"`
		}
		_ = jsonUnmarshal(send(t, g.base, "GET", "/.authgate/session", "", cookie).body, &b)
		return b.Session.IdleExpires > o.IdleExpires && b.Session.LastAccessed > o.LastAccessed && b.Session.Started == o.Started
	})
	if idle := send(t, g.base, "GET", "/", "", cookie).upstream.Get("X-Auth-Idle"); idle <= o.IdleExpires {
		t.Errorf("X-Auth-Idle %q has not moved from %s", idle, o.IdleExpires)
	}

	// A session made through the admin API: no factor, no amr header.
	created := send(t, admin, "POST", "/authgate/sessions", `{"user_id":"bo"}`, jsonCT)
	wantStatus(t, created, http.StatusCreated)
	shown = decodeObject(t, send(t, admin, "GET", "/authgate/sessions/"+jsonField(t, created.body, "session_id"), "", jsonCT).body)
	if shown.Verifier != "session" || shown.Factors == nil || len(shown.Factors) != 0 {
		t.Errorf("admin-made session shows verifier %q, factors %v; want session and []", shown.Verifier, shown.Factors)
	}
	up = send(t, g.base, "GET", "/", "", "Cookie: "+sessionCookieName+"="+jsonField(t, created.body, "session_token")).upstream
	if _, ok := up["X-Auth-Amr"]; ok || up.Get("X-Auth-Via") != "session" {
		t.Errorf("admin-made session: upstream saw amr %q, via %q", up.Values("X-Auth-Amr"), up.Get("X-Auth-Via"))
	}
	// A token is no session: no session headers at all.
	up = send(t, g.base, "GET", "/", "", "Authorization: Bearer "+g.mint("cy")).upstream
	for _, h := range []string{"X-Auth-Started", "X-Auth-Amr", "X-Auth-Via", "X-Auth-Idle", "X-Auth-Expires", "X-Auth-Accessed"} {
		if _, ok := up[h]; ok {
			t.Errorf("a JWT request carried %s upstream", h)
		}
	}
}

// TestDeleteClaimThroughTheAdminAPI: a claim set through the admin API is
// removed by DELETE (204, then 404), under the rules of PUT: a reserved
// claim is refused with PUT's error, a claim with a source with 409. A
// claim PUT as null is stored, and `exists` holds for it.
func TestDeleteClaimThroughTheAdminAPI(t *testing.T) {
	for name, store := range objectStores(t) {
		t.Run(name, func(t *testing.T) { testDeleteClaim(t, store) })
	}
}

func testDeleteClaim(t *testing.T, store string) {
	g, admin := startObjectGateway(t, store)
	created := send(t, admin, "POST", "/authgate/sessions", `{"user_id":"dee","claims":{"email":"dee@example.com"}}`, jsonCT)
	wantStatus(t, created, http.StatusCreated)
	id := jsonField(t, created.body, "session_id")
	cookie := "Cookie: " + sessionCookieName + "=" + jsonField(t, created.body, "session_token")
	claim := admin + "/authgate/sessions/" + id + "/claims/"

	wantStatus(t, send(t, g.base, "GET", "/mfa/", "", cookie), http.StatusForbidden)
	wantStatus(t, send(t, claim, "PUT", "mfa", `null`, jsonCT), http.StatusNoContent)
	wantStatus(t, send(t, g.base, "GET", "/mfa/", "", cookie), http.StatusOK)
	shown := send(t, admin, "GET", "/authgate/sessions/"+id, "", jsonCT)
	if !strings.Contains(shown.body, `"mfa":null`) {
		t.Errorf("a claim PUT as null shows as %s, want null", shown.body)
	}

	wantStatus(t, send(t, claim, "DELETE", "mfa", ""), http.StatusNoContent)
	wantStatus(t, send(t, g.base, "GET", "/mfa/", "", cookie), http.StatusForbidden)
	gone := send(t, claim, "DELETE", "mfa", "")
	wantStatus(t, gone, http.StatusNotFound)
	if !strings.Contains(gone.body, "no such claim") {
		t.Errorf("second DELETE says %s, want no such claim", gone.body)
	}
	wantStatus(t, send(t, admin+"/authgate/sessions/ses_none/claims/", "DELETE", "email", ""), http.StatusNotFound)

	// Reserved and sourced claims: DELETE is refused exactly as PUT is.
	for _, name := range []string{"sub", "exp", "roles"} {
		put, del := send(t, claim, "PUT", name, `1`, jsonCT), send(t, claim, "DELETE", name, "")
		if put.status == http.StatusNoContent || del.status != put.status || del.body != put.body {
			t.Errorf("claim %s: DELETE %d %s, PUT %d %s; want the same refusal", name, del.status, del.body, put.status, put.body)
		}
	}
	// The other claims stay.
	if send(t, g.base, "GET", "/", "", cookie).upstream.Get("X-Auth-Email") != "dee@example.com" {
		t.Error("deleting mfa touched email")
	}
	wantStatus(t, send(t, claim, "DELETE", "email", ""), http.StatusNoContent)
	if _, ok := send(t, g.base, "GET", "/", "", cookie).upstream["X-Auth-Email"]; ok {
		t.Error("a deleted claim still reaches the upstream")
	}
}

// TestDeleteClaimReachesTheOtherInstance: with Redis, a claim removed on
// one instance is gone on another within a second, though that instance
// had the session cached.
func TestDeleteClaimReachesTheOtherInstance(t *testing.T) {
	redisURL := testRedisURL(t)
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	up := echoUpstream(t)
	site := strings.NewReplacer("{REDIS}", redisURL, "{UPSTREAM}", up.URL).Replace(redisSite)
	adminAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	a := startGateway(t, strings.ReplaceAll(site, "{ADMIN}", adminAddr))
	b := startSecondInstance(t, strings.NewReplacer("{ADMIN}", "off", "{STORAGE}", a.storage).Replace(site))

	created := send(t, "http://"+adminAddr, "POST", "/authgate/sessions", `{"user_id":"eli","claims":{"email":"eli@example.com"}}`, jsonCT)
	wantStatus(t, created, http.StatusCreated)
	id := jsonField(t, created.body, "session_id")
	cookie := "Cookie: " + sessionCookieName + "=" + jsonField(t, created.body, "session_token")
	if got := send(t, b, "GET", "/", "", cookie).upstream.Get("X-Auth-Email"); got != "eli@example.com" {
		t.Fatalf("B's upstream saw email %q", got)
	}
	wantStatus(t, send(t, "http://"+adminAddr, "DELETE", "/authgate/sessions/"+id+"/claims/email", ""), http.StatusNoContent)
	start := time.Now()
	sesWaitFor(t, time.Second, "claim removal visible on B", func() bool {
		_, ok := send(t, b, "GET", "/", "", cookie).upstream["X-Auth-Email"]
		return !ok
	})
	t.Logf("claim removal seen on the other instance after %v", time.Since(start).Round(time.Millisecond))
}

// TestOIDCLoginSessionHasTheProvidersFactor: a session made by an OIDC
// login has one factor named after its oidc block, with the ID token's
// amr, and so does {session.verifier}'s origin.
func TestOIDCLoginSessionHasTheProvidersFactor(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	e.p.SetUser("amy", map[string]any{"email": "amy@example.com", "amr": []any{"pwd", "hwk"}})
	b := newBrowser(t)
	e.login(b, "amy", "/page")
	who := b.do("GET", e.g.base+"/.authgate/session", "")
	wantStatus(t, who, http.StatusOK)
	var body struct {
		Session sessionObject `json:"session"`
	}
	if err := jsonUnmarshal(who.body, &body); err != nil {
		t.Fatal(err)
	}
	o := body.Session
	if o.Verifier != "corp" || len(o.Factors) != 1 || o.Factors[0].Verifier != "corp" ||
		strings.Join(o.Factors[0].AMR, " ") != "pwd hwk" || o.Factors[0].At != o.Started || o.Started == "" {
		t.Fatalf("an OIDC login's session object: %+v; want one corp factor with [pwd hwk] at the start", o)
	}
}
