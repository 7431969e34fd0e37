package caddymodule

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/verifier/verifiertest"
)

// exchangeWith exchanges token while carrying cookie ("" for none).
func exchangeWith(t *testing.T, g *gateway, token, cookie string) response {
	t.Helper()
	headers := []string{"Authorization: Bearer " + token}
	if cookie != "" {
		headers = append(headers, cookie)
	}
	return send(t, g.base, "POST", "/.authgate/session", "", headers...)
}

func cookieOf(t *testing.T, r response) string {
	t.Helper()
	return "Cookie: " + sessionCookieName + "=" + sesCookie(t, r).Value
}

// whoamiClaims returns the claims GET /.authgate/session shows.
func whoamiClaims(t *testing.T, g *gateway, cookie string) map[string]any {
	t.Helper()
	r := g.do("GET", "/.authgate/session", cookie)
	wantStatus(t, r, http.StatusOK)
	var v struct {
		Claims map[string]any `json:"claims"`
	}
	if err := jsonUnmarshal(r.body, &v); err != nil {
		t.Fatal(err)
	}
	return v.Claims
}

// TestAttestAddsAFactorToTheSessionOfTheSameSubject is Stytch's attest: a
// second token of alice, exchanged while she holds a session, adds its amr
// to that session under a new token, never its roles.
func TestAttestAddsAFactorToTheSessionOfTheSameSubject(t *testing.T) {
	g, _ := startExchangeGateway(t, "")
	first := exchangeWith(t, g, sesDevToken(t, g, jwt.MapClaims{"sub": "alice", "iat": time.Now().Unix(), "jti": "at-1",
		"roles": []string{"viewer"}, "amr": []string{"pwd"}, "email": "alice@example.com"}), "")
	wantStatus(t, first, http.StatusCreated)
	old := cookieOf(t, first)

	second := exchangeWith(t, g, sesDevToken(t, g, jwt.MapClaims{"sub": "alice", "iat": time.Now().Unix(), "jti": "at-2",
		"roles": []string{"admin"}, "amr": []string{"otp"}, "email": "mallory@example.com"}), old)
	wantStatus(t, second, http.StatusCreated)
	rotated := cookieOf(t, second)
	if rotated == old {
		t.Fatal("attest kept the session token")
	}
	wantReason(t, g.do("GET", "/", old), http.StatusUnauthorized, "session_revoked")
	up := g.do("GET", "/", rotated)
	wantStatus(t, up, http.StatusOK)
	if up.upstream.Get("X-Auth-User-Id") != "alice" || up.upstream.Get("X-Auth-Roles") != "viewer" || up.upstream.Get("X-Auth-Email") != "alice@example.com" {
		t.Fatalf("upstream saw user %q roles %q email %q: the attested token's claims leaked in",
			up.upstream.Get("X-Auth-User-Id"), up.upstream.Get("X-Auth-Roles"), up.upstream.Get("X-Auth-Email"))
	}
	if amr := fmt.Sprint(whoamiClaims(t, g, rotated)["amr"]); amr != "[pwd otp]" {
		t.Errorf("amr = %s, want [pwd otp]", amr)
	}
	// The exchange's answer shows both factors, oldest first.
	var view struct {
		Factors []struct {
			Verifier string   `json:"verifier"`
			AMR      []string `json:"amr"`
		} `json:"authentication_factors"`
	}
	if err := jsonUnmarshal(second.body, &view); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(view.Factors) != "[{dev [pwd]} {dev [otp]}]" {
		t.Errorf("authentication_factors = %v, want dev's pwd then dev's otp", view.Factors)
	}

	// Another subject's token replaces the session: the old one ends.
	bob := exchangeWith(t, g, g.mint("bob"), rotated)
	wantStatus(t, bob, http.StatusCreated)
	wantReason(t, g.do("GET", "/", rotated), http.StatusUnauthorized, "session_revoked")
	if got := g.do("GET", "/", cookieOf(t, bob)).upstream.Get("X-Auth-User-Id"); got != "bob" {
		t.Fatalf("new session is %q's, want bob's", got)
	}
}

// TestAttestNeverRevivesOrLengthens: an expired or revoked session is not
// attested (a new session is minted), and an attested session never ends
// later than it would have.
func TestAttestNeverRevivesOrLengthens(t *testing.T) {
	g, admin := startExchangeGateway(t, "")
	first := exchangeBody(t, g, g.mint("alice"), `"session_duration":60`)
	wantStatus(t, first, http.StatusCreated)
	end := expiresAt(t, first)
	second := exchangeWith(t, g, g.mint("alice"), cookieOf(t, first))
	wantStatus(t, second, http.StatusCreated)
	if got := expiresAt(t, second); got.After(end) {
		t.Fatalf("attest moved expires_at from %v to %v", end, got)
	}
	// A subject revocation covers the attested session: it keeps the
	// original session's start.
	until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	wantStatus(t, send(t, admin, "POST", "/authgate/revocations", `{"sub":"alice","until":"`+until+`"}`, jsonCT), http.StatusCreated)
	wantReason(t, g.do("GET", "/", cookieOf(t, second)), http.StatusUnauthorized, "session_revoked")
	time.Sleep(1100 * time.Millisecond) // tokens issued after the revocation's second
	third := exchangeWith(t, g, g.mint("alice"), cookieOf(t, second))
	wantStatus(t, third, http.StatusCreated)
	if got := expiresAt(t, third); got.Before(time.Now().Add(23 * time.Hour)) {
		t.Fatalf("exchange over a revoked session: expires_at %v, want a new full session", got)
	}
}

// TestAttestKeepsTheSessionsOrigin: a session exchanged from idpB, then
// attested with an idpA token of the same user, is still idpB's: a route
// that accepts idpA and sessions keeps refusing it. Without the cookie,
// the idpA token makes an idpA session the route accepts.
func TestAttestKeepsTheSessionsOrigin(t *testing.T) {
	f := &issuers{keyA: verifiertest.NewECKey("a"), keyB: verifiertest.NewECKey("b")}
	dir := t.TempDir()
	pathA, pathB := filepath.Join(dir, "a.pem"), filepath.Join(dir, "b.pem")
	for path, key := range map[string]*verifiertest.Key{pathA: f.keyA, pathB: f.keyB} {
		if err := os.WriteFile(path, key.PublicPEM(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f.gateway = startGateway(t, strings.NewReplacer("{ADMIN}", "off", "{KEY_A}", pathA, "{KEY_B}", pathB,
		"subject_template idpA:{sub}", "subject_template corp:{sub}\n\t\t\tsame_subjects idpB",
		"subject_template idpB:{sub}", "subject_template corp:{sub}\n\t\t\tsame_subjects idpA",
		"{UPSTREAM}", echoUpstream(t).URL).Replace(originSite))

	sessionB := f.exchange(t, f.token(f.keyB, "idp-b", "alice"))
	wantReason(t, f.do("GET", "/a/", sessionB), http.StatusUnauthorized, "bad_issuer")
	attested := exchangeWith(t, f.gateway, f.token(f.keyA, "idp-a", "alice"), sessionB)
	wantStatus(t, attested, http.StatusCreated)
	wantReason(t, f.do("GET", "/a/", cookieOf(t, attested)), http.StatusUnauthorized, "bad_issuer")
	wantStatus(t, f.do("GET", "/", cookieOf(t, attested)), http.StatusOK)

	fresh := f.exchange(t, f.token(f.keyA, "idp-a", "alice"))
	wantStatus(t, f.do("GET", "/a/", fresh), http.StatusOK)
}

// TestAttestAndBindToTokenOnRedis runs attest and bind_to_token on the
// Redis store: the rotated record keeps its factors and claims there, the
// old token is gone, and a bound session ends with its token.
func TestAttestAndBindToTokenOnRedis(t *testing.T) {
	site := strings.NewReplacer("{REDIS}", testRedisURL(t), "{UPSTREAM}", echoUpstream(t).URL, "{ADMIN}", "off",
		"exchange dev", "exchange dev\n\t\t\tbind_to_token").Replace(redisSite)
	g := startGateway(t, site)
	now := time.Now()
	first := exchangeWith(t, g, sesDevToken(t, g, jwt.MapClaims{"sub": "redis-alice", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"jti": fmt.Sprint("r1-", now.UnixNano()), "amr": []string{"pwd"}, "roles": []string{"viewer"}}), "")
	wantStatus(t, first, http.StatusCreated)
	second := exchangeWith(t, g, sesDevToken(t, g, jwt.MapClaims{"sub": "redis-alice", "iat": now.Unix(), "exp": now.Add(3 * time.Second).Unix(),
		"jti": fmt.Sprint("r2-", now.UnixNano()), "amr": []string{"otp"}, "roles": []string{"admin"}}), cookieOf(t, first))
	wantStatus(t, second, http.StatusCreated)
	wantReason(t, g.do("GET", "/", cookieOf(t, first)), http.StatusUnauthorized, "session_revoked")
	up := g.do("GET", "/", cookieOf(t, second))
	wantStatus(t, up, http.StatusOK)
	if up.upstream.Get("X-Auth-Roles") != "viewer" {
		t.Fatalf("roles %q after attest, want viewer", up.upstream.Get("X-Auth-Roles"))
	}
	if amr := fmt.Sprint(whoamiClaims(t, g, cookieOf(t, second))["amr"]); amr != "[pwd otp]" {
		t.Errorf("amr = %s, want [pwd otp]", amr)
	}
	// Bound to both tokens: the attested 3 s token ends the session.
	sesWaitFor(t, 6*time.Second, "the attested session ends with the shorter token", func() bool {
		return g.do("GET", "/", cookieOf(t, second)).status == http.StatusUnauthorized
	})
}
