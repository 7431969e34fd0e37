package caddymodule

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/session/sessiontest"
	"github.com/authgate/authgate/verifier/verifiertest"
)

// leakSite has every operability surface at once: metrics at the admin
// endpoint, the access log, Caddy's own log, readiness on the site and the
// admin routes. Its configured URLs carry secrets: a Redis password and a
// JWKS URL with an API key in its query.
const leakSite = `{
	admin {ADMIN}
	storage file_system {STORAGE}
	{LOG}
	authgate {
		dev
		jwt corp {
			issuer https://idp.example.com
			audience app
			jwks_url {JWKS}
			jwks_timeout 300ms
			same_subjects dev
		}
		session {
			store redis {REDIS} {
				timeout 300ms
			}
			exchange dev
		}
		ready jwks store
	}
}
http://:{PORT} {
	log {
		output file {ACCESS} {
			roll_disabled
		}
		format json
	}
	authgate_health /readyz ready
	handle /admin/* {
		authgate {
			require roles includes admin
		}
		respond "admin"
	}
	handle {
		authgate
		respond "ok"
	}
}`

// attackMark is in every value an attacker chooses below: none of it may
// become a metric label, and none may reach the access log's auth object.
const attackMark = "zzattackzz"

// An attacker who controls the Host, the path, the query, the token's
// header and claims, cookies and the Authorization scheme cannot put a
// label value into the metrics (their cardinality stays that of the
// configuration) nor text into the access log's auth object; no token,
// cookie value or configured secret (Redis password, JWKS query) appears
// in any log line, in the health reports or in the metrics, including
// while Redis is down and the warnings fire.
func TestOperabilitySurfacesLeakNothingAttackersOrSecretsChoose(t *testing.T) {
	const redisPassword = "zzredispasswordzz"
	const jwksSecret = "zzjwksquerysecretzz"
	rp := sessiontest.StartRedis(t, "--requirepass", redisPassword)
	jwks := verifiertest.NewServer()
	defer jwks.Close()
	jwksURL := jwks.URL + "?api_key=" + jwksSecret

	logs := newCaddyLog(t)
	access := filepath.Join(t.TempDir(), "access.log")
	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	redisURL := fmt.Sprintf("redis://:%s@%s/0", redisPassword, rp.Addr())
	g := startGateway(t, strings.NewReplacer("{ADMIN}", admin, "{LOG}", logs.option(), "{ACCESS}", access,
		"{JWKS}", jwksURL, "{REDIS}", redisURL).Replace(leakSite))
	waitHealth(t, g.base+"/readyz", http.StatusOK)

	secrets := []string{redisPassword, jwksSecret}
	keep := func(tok string) string {
		secrets = append(secrets, tok)
		if i := strings.LastIndexByte(tok, '.'); i >= 0 && len(tok)-i > 20 {
			secrets = append(secrets, tok[i+1:])
		}
		return tok
	}
	forged := verifiertest.NewRSAKey(attackMark)
	hostile := []map[string]any{
		{"iss": attackMark, "sub": attackMark, "aud": attackMark},
		{"iss": "https://idp.example.com", "sub": attackMark, "aud": "app", "exp": time.Now().Add(time.Hour).Unix()},
		{"iss": "authgate-dev", "sub": attackMark, "aud": attackMark, "exp": time.Now().Add(time.Hour).Unix()},
	}
	var tokens []string
	for _, c := range hostile {
		tokens = append(tokens, keep(forged.MintHeader(map[string]any{"kid": attackMark, "typ": attackMark}, c)))
	}
	tokens = append(tokens, keep(attackMark+".opaque1."+attackMark), keep(attackMark+"-opaque-token-2"))
	real := keep(g.mint("alice", `roles=["`+attackMark+`"]`))

	var requests [][]string // path, then headers
	for _, tok := range tokens {
		requests = append(requests,
			[]string{"/" + attackMark + "?" + attackMark + "=1", "Authorization: Bearer " + tok, "Host: " + attackMark + ".example"},
			[]string{"/admin/" + attackMark, "Authorization: " + attackMark + " " + tok},
			[]string{"/", "Cookie: " + sessionCookieName + "=" + tok},
			[]string{"/", "Cookie: " + attackMark + "=" + tok, "X-Forwarded-Host: " + attackMark},
			[]string{"/.authgate/session", "Authorization: Bearer " + tok},
			[]string{"/.authgate/" + attackMark, "Authorization: Bearer " + tok},
		)
	}
	requests = append(requests,
		[]string{"/admin/" + attackMark, "Authorization: Bearer " + real}, // 403: a role named by the attacker
		[]string{"/" + attackMark, "Authorization: Bearer " + real, "Host: " + attackMark},
	)
	for _, req := range requests {
		r := g.do("GET", req[0], req[1:]...)
		if r.status >= 500 {
			t.Errorf("GET %s: %d", req[0], r.status)
		}
	}
	r := send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+real)
	wantStatus(t, r, http.StatusCreated)
	cookie := keep(sesCookie(t, r).Value)

	// Redis goes away: sessions answer 503, readiness fails, the Redis
	// client and the gateway warn.
	rp.Kill()
	wantReason(t, g.do("GET", "/"+attackMark, "Cookie: "+sessionCookieName+"="+cookie), http.StatusServiceUnavailable, "store_unavailable")
	reports := []string{waitHealthBody(t, g.base+"/readyz", http.StatusServiceUnavailable),
		waitHealthBody(t, "http://"+admin+"/authgate/ready", http.StatusServiceUnavailable)}
	metricsText := scrape(t, "http://"+admin+"/metrics").text

	// The surfaces checked below did see the attack and the outage.
	for what, seen := range map[string]bool{
		"a 403 in the metrics":                    strings.Contains(metricsText, `authgate_requests_total{outcome="forbidden",reason="policy_denied",verifier="dev"}`),
		"a refused token in the metrics":          strings.Contains(metricsText, `outcome="unauthorized",reason="bad_type"`),
		"the store warning in the logs":           strings.Contains(logs.text(), "authgate dependency unavailable"),
		"a failing store in the readiness report": strings.Contains(reports[0], `"check":"store","state":"failing"`),
	} {
		if !seen {
			t.Errorf("%s: not found; the test did not exercise it", what)
		}
	}
	if strings.Contains(metricsText, attackMark) {
		for line := range strings.Lines(metricsText) {
			if strings.Contains(line, attackMark) {
				t.Errorf("a metric series carries an attacker's value: %s", strings.TrimSpace(line))
			}
		}
	}
	time.Sleep(200 * time.Millisecond) // access-log entries are written after the responses
	accessText, err := os.ReadFile(access)
	if err != nil {
		t.Fatal(err)
	}
	entries := 0
	for line := range strings.Lines(string(accessText)) {
		var e struct {
			Auth json.RawMessage `json:"auth"`
		}
		if json.Unmarshal([]byte(line), &e) != nil || e.Auth == nil {
			continue
		}
		entries++
		if strings.Contains(string(e.Auth), attackMark) {
			t.Errorf("an access-log auth object carries an attacker's value: %s", e.Auth)
		}
	}
	if entries < len(requests)/2 {
		t.Fatalf("%d access-log entries with an auth object for %d requests", entries, len(requests))
	}
	everything := map[string]string{"the logs": logs.text() + string(accessText), "the metrics": metricsText,
		"the health reports": strings.Join(reports, "\n")}
	for where, text := range everything {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s carry a token, cookie or secret (%d bytes: %.12s…)", where, len(s), s)
			}
		}
	}
	if strings.Contains(strings.Join(reports, ""), "api_key") || strings.Contains(strings.Join(reports, ""), "redis://") {
		t.Errorf("a health report names a configured URL: %s", reports)
	}
}

// waitHealthBody is waitHealth, returning the raw body.
func waitHealthBody(t *testing.T, url string, status int) string {
	t.Helper()
	waitHealth(t, url, status)
	return send(t, url, "GET", "", "").body
}
