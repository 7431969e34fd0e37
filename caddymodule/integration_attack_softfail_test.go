package caddymodule

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/certmagic"

	"github.com/authgate/authgate/session/sessiontest"
	"github.com/authgate/authgate/verifier/verifiertest"
)

// Attacks on soft-fail (issue 15, item 5), as a client and as a careless
// operator: pass mode must soften a policy 403 and nothing else, and
// X-Auth-Claim-Errors must be the gateway's alone, whatever the client
// sends and whatever the claims hold.

// attackSoftSite puts every validator of its catch-all route in pass mode
// (the global email_verified included), so any request refused there is
// refused for a reason pass mode must not soften. /hang reads a claim
// source that never answers; /tokens accepts tokens only; /enforced
// enforces the global validator; /nested stacks two handlers; /ws is in
// front of a WebSocket upstream.
const attackSoftSite = `{
	admin 127.0.0.1:{ADMIN}
	storage file_system {STORAGE}
	metrics
	authgate {
		dev
		max_token_size 65536
		require email_verified is_true
		claim groups {
			fetch {HANG}/users/{sub}/groups
			path groups
			max_age 0
			timeout 1s
		}
		check mfa_check {
			require mfa is_true
		}
		session {
			store bolt {STORAGE}/sessions.db
			exchange dev
			bind_host
		}
	}
}
http://127.0.0.1:{PORT}, http://localhost:{PORT} {
	log {
		output file {ACCESS} {
			roll_disabled
		}
		format json
	}
	handle /hang/* {
		authgate {
			require groups includes staff id staff
			on_failure staff pass
			on_failure email_verified pass
		}
		reverse_proxy {UPSTREAM}
	}
	handle /tokens/* {
		authgate {
			verifiers dev
			require mfa is_true
			on_failure mfa pass
			on_failure email_verified pass
		}
		reverse_proxy {UPSTREAM}
	}
	handle /enforced/* {
		authgate {
			require mfa is_true
			on_failure mfa pass
		}
		reverse_proxy {UPSTREAM}
	}
	handle /optional/* {
		authgate {
			optional
			require mfa is_true
			on_failure mfa pass
			on_failure email_verified pass
		}
		reverse_proxy {UPSTREAM}
	}
	handle /nested/* {
		route {
			authgate {
				require mfa is_true
				on_failure mfa pass
				on_failure email_verified pass
			}
			authgate {
				require plan one_of pro team
				require tier exists
				on_failure tier pass
				on_failure email_verified pass
			}
			reverse_proxy {UPSTREAM}
		}
	}
	handle /trail/* {
		authgate {
			require mfa is_true
			on_failure mfa pass
		}
		reverse_proxy {TRAILER}
	}
	handle /ws/* {
		authgate {
			require mfa is_true
			on_failure mfa pass
		}
		reverse_proxy {WS}
	}
	handle {
		authgate {
			require mfa is_true
			require plan one_of pro team
			on_failure mfa pass
			on_failure plan pass
			on_failure email_verified pass
			allow_preflight
			login_url https://login.example.com/
		}
		reverse_proxy {UPSTREAM}
	}
}
`

type attackSoftGateway struct {
	*gateway
	access  string
	metrics string // the admin endpoint's /metrics URL
}

func startAttackSoftGateway(t *testing.T) *attackSoftGateway {
	t.Helper()
	access := t.TempDir() + "/access.log"
	adminPort := freePort(t)
	site := strings.NewReplacer("{ADMIN}", fmt.Sprint(adminPort), "{ACCESS}", access, "{UPSTREAM}", echoUpstream(t).URL,
		"{HANG}", hangingUpstream(t).URL, "{WS}", upgradeUpstream(t).URL,
		"{TRAILER}", trailerUpstream(t).URL).Replace(attackSoftSite)
	return &attackSoftGateway{gateway: startGateway(t, site), access: access,
		metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", adminPort)}
}

// hangingUpstream accepts every request and answers none until the client
// gives up: a claim source that hangs.
func hangingUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// upgradeUpstream switches protocols on an Upgrade request and reports, in
// response headers, the X-Auth-Claim-Errors values it received and how
// many header names fold to that name.
func upgradeUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		spellings := 0
		for name := range r.Header {
			if foldHeaderName(name) == "x-auth-claim-errors" {
				spellings++
			}
		}
		seen, _ := json.Marshal(r.Header.Values("X-Auth-Claim-Errors"))
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"X-Seen-Claim-Errors: %s\r\nX-Seen-Spellings: %d\r\n\r\n", seen, spellings)
		buf.Flush()
	}))
	t.Cleanup(srv.Close)
	return srv
}

// token mints a dev token for sub whose email_verified is true unless the
// claims set it.
func (g *attackSoftGateway) token(sub string, claims ...string) string {
	g.t.Helper()
	if !slices.ContainsFunc(claims, func(c string) bool { return strings.HasPrefix(c, "email_verified=") }) {
		claims = append(claims, "email_verified=true")
	}
	return g.mint(sub, claims...)
}

// softDenied is the count of authgate_requests_total with outcome
// soft_denied, over every reason and verifier.
func (g *attackSoftGateway) softDenied() float64 {
	g.t.Helper()
	total := 0.0
	for series, v := range scrape(g.t, g.metrics).values {
		if strings.HasPrefix(series, "authgate_requests_total{") && strings.Contains(series, `outcome="soft_denied"`) {
			total += v
		}
	}
	return total
}

// wantHeldBack fails unless r has the status, never reached the upstream
// and carries no X-Auth-Claim-Errors.
func wantHeldBack(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if r.upstream != nil {
		t.Fatalf("a %d reached the upstream with %v", status, r.upstream)
	}
	if v := r.header.Values("X-Auth-Claim-Errors"); len(v) > 0 {
		t.Fatalf("a %d answered X-Auth-Claim-Errors %q", status, v)
	}
}

// wantGatewayClaimErrors fails unless the upstream got exactly one
// X-Auth-Claim-Errors, in its canonical spelling only, listing ids.
func wantGatewayClaimErrors(t *testing.T, upstream http.Header, ids ...string) []claimFailure {
	t.Helper()
	for name, values := range upstream {
		if foldHeaderName(name) == "x-auth-claim-errors" && name != "X-Auth-Claim-Errors" {
			t.Errorf("upstream got the client's spelling %s: %q", name, values)
		}
	}
	values := upstream.Values("X-Auth-Claim-Errors")
	if len(ids) == 0 {
		if len(values) > 0 {
			t.Fatalf("upstream X-Auth-Claim-Errors = %q on a request where nothing failed", values)
		}
		return nil
	}
	if len(values) != 1 {
		t.Fatalf("upstream X-Auth-Claim-Errors = %q, want exactly the gateway's", values)
	}
	var fs []claimFailure
	if err := json.Unmarshal([]byte(values[0]), &fs); err != nil {
		t.Fatalf("X-Auth-Claim-Errors %q is not the JSON list: %v", values[0], err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.ID)
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("X-Auth-Claim-Errors ids %q, want %q (%s)", got, ids, values[0])
	}
	return fs
}

// Every refusal that is not a policy 403 stays what it was on a route
// whose every validator is in pass mode, and none is counted soft_denied.
func TestAttackSoftFailNeverSoftensCredentialRefusals(t *testing.T) {
	g := startAttackSoftGateway(t)
	failing := []string{"mfa=false", `plan="free"`, "email_verified=false"}
	expired, err := mintDevToken(context.Background(), &certmagic.FileStorage{Path: g.storage}, "eve", failing, -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	session := sesExchange(t, g.gateway, "sam", failing...)
	cookie := "Cookie: " + sessionCookieName + "=" + session
	// The session works, softly: only validators in pass mode fail.
	wantGatewayClaimErrors(t, g.do("GET", "/app", cookie).upstream, "email_verified", "mfa", "plan")
	revoked := sesExchange(t, g.gateway, "sam", failing...)
	wantStatus(t, send(t, g.base, "POST", "/.authgate/logout", "", "Cookie: "+sessionCookieName+"="+revoked), http.StatusNoContent)
	before := g.softDenied()

	for _, tc := range []struct {
		name, method, path string
		headers            []string
		status             int
	}{
		{"no credential", "GET", "/app", nil, 401},
		{"no credential, HEAD", "HEAD", "/app", nil, 401},
		{"OPTIONS that is no preflight", "OPTIONS", "/app", []string{"Origin: https://app.example"}, 401},
		{"a browser navigation without credential is sent to log in", "GET", "/app", []string{"Accept: text/html", "Sec-Fetch-Mode: navigate"}, 302},
		{"an expired token", "GET", "/app", []string{"Authorization: Bearer " + expired}, 401},
		{"a malformed token", "GET", "/app", []string{"Authorization: Bearer not-a.jwt-at.all"}, 401},
		{"an unsigned admin token", "GET", "/app", []string{"Authorization: Bearer " + algNoneAdmin()}, 401},
		{"a revoked session", "GET", "/app", []string{"Cookie: " + sessionCookieName + "=" + revoked}, 401},
		{"a session on a host it is not bound to", "GET", "/app", []string{cookie, "Host: localhost:" + strings.TrimPrefix(g.base, "http://127.0.0.1:")}, 401},
		{"a session where the route's verifiers exclude sessions", "GET", "/tokens/x", []string{cookie}, 401},
		{"an expired token on an optional route", "GET", "/optional/x", []string{"Authorization: Bearer " + expired}, 401},
		{"the claim source of a pass-mode validator hangs", "GET", "/hang/x", []string{"Authorization: Bearer " + g.token("hal", `groups=["staff"]`)}, 503},
		{"exchange without a credential", "POST", "/.authgate/session", nil, 401},
		{"who-am-I without a session", "GET", "/.authgate/session", nil, 401},
		{"check without a credential", "GET", "/.authgate/check?check=mfa_check", nil, 401},
		{"an upgrade without a credential", "GET", "/ws/x", []string{"Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="}, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := send(t, g.base, tc.method, tc.path, "", tc.headers...)
			wantHeldBack(t, r, tc.status)
			if tc.status == 503 && (r.header.Get("Retry-After") == "" || time.Since(start) > 8*time.Second) {
				t.Errorf("a hanging source: Retry-After %q after %v", r.header.Get("Retry-After"), time.Since(start))
			}
		})
	}
	// Raw sockets: a second credential next to a valid one.
	valid := "Authorization: Bearer " + g.token("ann", "mfa=false")
	wantHeldBack(t, g.rawGet("/app", valid, "Authorization: Bearer "+algNoneAdmin()), 401)
	wantHeldBack(t, g.rawGet("/app", cookie, "Cookie: "+sessionCookieName+"="+session), 401)
	wantHeldBack(t, g.rawGet("/app", "Cookie: "+sessionCookieName+"="+session+"; "+sessionCookieName+"=x"), 401)
	if got := g.softDenied() - before; got != 0 {
		t.Errorf("refusals counted as soft_denied: +%v", got)
	}
}

// A client's X-Auth-Claim-Errors sent over a raw socket, in every framing
// HTTP/1.1 parsers disagree on, never reaches the upstream: on a request
// that passes the upstream sees none, on one that soft-fails only the
// gateway's.
func TestAttackSoftFailRawSmuggling(t *testing.T) {
	g := startAttackSoftGateway(t)
	passing := "Authorization: Bearer " + g.token("pat", "mfa=true", `plan="pro"`)
	soft := "Authorization: Bearer " + g.token("pat", "mfa=false", `plan="pro"`)
	forgeries := map[string][]string{
		"obs-fold continuation":       {"X-Pad: a", ` X-Auth-Claim-Errors: []`},
		"obs-fold of the header":      {"X-Auth-Claim-Errors: [", "\t]"},
		"duplicates in several cases": {"x-auth-claim-errors: [1]", "X-AUTH-CLAIM-ERRORS: [2]", "X-Auth-Claim-Errors: [3]"},
		"underscores and dots":        {"X_AUTH_CLAIM_ERRORS: []", "x.auth.claim.errors: []", "X-Auth_Claim.Errors: []"},
		"nominated by Connection":     {"Connection: keep-alive, x-auth-claim-errors", "Connection: X_Auth_Claim_Errors"},
		"an empty value":              {"X-Auth-Claim-Errors:"},
		"a value with a tab and NBSP": {"X-Auth-Claim-Errors: \t[{\"id\":\"x\"}]\xa0"},
	}
	for name, lines := range forgeries {
		t.Run(name, func(t *testing.T) {
			r := g.rawGet("/app", append([]string{passing}, lines...)...)
			if r.status == http.StatusBadRequest && r.upstream == nil {
				return // refused by the HTTP parser: nothing reached the app
			}
			wantStatus(t, r, http.StatusOK)
			wantGatewayClaimErrors(t, r.upstream)
			r = g.rawGet("/app", append([]string{soft}, lines...)...)
			wantStatus(t, r, http.StatusOK)
			wantGatewayClaimErrors(t, r.upstream, "mfa")
		})
	}
	t.Run("a space before the colon", func(t *testing.T) {
		r := g.rawGet("/app", passing, "X-Auth-Claim-Errors : []")
		if r.upstream != nil {
			wantGatewayClaimErrors(t, r.upstream)
		}
	})
	t.Run("trailers after a chunked body", func(t *testing.T) {
		trailers := []string{"X-Auth-Claim-Errors: []", "x_auth_claim_errors: []", "X.Auth.Claim.Errors: []"}
		for _, auth := range []string{passing, soft} {
			status, echo := g.rawChunkedPath("/trail/x", []string{auth}, trailers)
			if status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			wantNoForgedTrailer(t, echo)
			if auth == soft {
				wantGatewayClaimErrors(t, echo.Header, "mfa")
			} else {
				wantGatewayClaimErrors(t, echo.Header)
			}
		}
	})
}

// Claim values cannot break out of X-Auth-Claim-Errors or inflate it: the
// header is printable ASCII, decodes to the exact values, and stays within
// 4 KiB however large the failing claims are.
func TestAttackSoftFailClaimValuesStayInsideTheHeader(t *testing.T) {
	g := startAttackSoftGateway(t)
	evil := "x\"}],\"id\":\"admin\r\nX-Injected: 1\x00 é \u2028 \U0001F600 \\u0000 </script>"
	r := g.do("GET", "/app", "Authorization: Bearer "+g.token("ivy", `mfa="`+jsonEscape(evil)+`"`, `plan="pro"`))
	wantStatus(t, r, http.StatusOK)
	fs := wantGatewayClaimErrors(t, r.upstream, "mfa")
	raw := r.upstream.Get("X-Auth-Claim-Errors")
	for i := 0; i < len(raw); i++ {
		if raw[i] < 0x20 || raw[i] > 0x7e {
			t.Fatalf("byte %#x at %d of X-Auth-Claim-Errors %q", raw[i], i, raw)
		}
	}
	// CR, LF, NUL, U+2028 and the emoji are escapes that read back exactly.
	if got := fs[0].Reason["actualValue"]; got != evil {
		t.Errorf("actualValue %q, want the claim exactly %q", got, evil)
	}
	if r.upstream.Get("X-Injected") != "" {
		t.Error("a claim value injected a header")
	}

	// Caddy reads at most 16 KiB of request headers: the token stays
	// under that, and its claims escape to three times the cap.
	huge := strings.Repeat("é\"", 1500)
	r = g.do("GET", "/app", "Authorization: Bearer "+g.token("ivy", `mfa="`+jsonEscape(huge)+`"`,
		`plan=["`+strings.Repeat("A", 3000)+`"]`))
	wantStatus(t, r, http.StatusOK)
	fs = wantGatewayClaimErrors(t, r.upstream, "mfa", "plan")
	if n := len(r.upstream.Get("X-Auth-Claim-Errors")); n > 4096 {
		t.Errorf("X-Auth-Claim-Errors is %d bytes, over the 4 KiB cap", n)
	}
	for _, f := range fs {
		if _, ok := f.Reason["actualValue"]; ok || f.Reason["message"] != "wrong value" {
			t.Errorf("%s reason %v: want the message without the oversized actualValue", f.ID, f.Reason)
		}
	}
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// rawUpgrade sends a WebSocket upgrade over a raw socket and returns the
// response (whose headers report what the upstream saw).
func (g *attackSoftGateway) rawUpgrade(path string, headers ...string) *http.Response {
	g.t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(g.base, "http://"), 5*time.Second)
	if err != nil {
		g.t.Fatal(err)
	}
	g.t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" + strings.Join(headers, "\r\n") + "\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		g.t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		g.t.Fatalf("reading the upgrade response: %v", err)
	}
	return resp
}

// An upgraded connection carries the gateway's X-Auth-Claim-Errors, which a
// client can neither replace nor have the proxy drop by naming it in
// Connection next to Upgrade; without a credential there is no upgrade.
func TestAttackSoftFailWebSocketUpgrade(t *testing.T) {
	g := startAttackSoftGateway(t)
	soft := "Authorization: Bearer " + g.token("wes", "mfa=false")
	resp := g.rawUpgrade("/ws/x", soft, "Connection: Upgrade, X-Auth-Claim-Errors", "x_auth_claim_errors: []")
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	var seen []string
	if err := json.Unmarshal([]byte(resp.Header.Get("X-Seen-Claim-Errors")), &seen); err != nil || len(seen) != 1 ||
		!strings.Contains(seen[0], `"id":"mfa"`) || resp.Header.Get("X-Seen-Spellings") != "1" {
		t.Fatalf("upstream saw X-Auth-Claim-Errors %s in %s spellings, want the gateway's only",
			resp.Header.Get("X-Seen-Claim-Errors"), resp.Header.Get("X-Seen-Spellings"))
	}
	resp = g.rawUpgrade("/ws/x", "Connection: Upgrade", "X-Auth-Claim-Errors: []")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("an upgrade without credential: status %d, want 401", resp.StatusCode)
	}
}

// One enforced failure decides: a global validator enforced on the route
// together with a route validator in pass mode is the 403 listing both,
// logged forbidden (not soft_denied) with both ids.
func TestAttackSoftFailEnforcedGlobalWithRoutePass(t *testing.T) {
	g := startAttackSoftGateway(t)
	before := g.softDenied()
	r := g.do("GET", "/enforced/both", "Authorization: Bearer "+g.token("gil", "email_verified=false", "mfa=false"))
	wantFailedIDs(t, r, "email_verified", "mfa")
	if r.header.Get("X-Auth-Claim-Errors") != "" {
		t.Error("the 403 answered X-Auth-Claim-Errors")
	}
	e := accessEntry(t, g.access, "/enforced/both")
	if e.Auth == nil || e.Auth.Outcome != "forbidden" || !slices.Equal(e.Auth.Failed, []string{"email_verified", "mfa"}) {
		t.Errorf("access log auth %+v, want forbidden with both ids", e.Auth)
	}
	r = g.do("GET", "/enforced/pass", "Authorization: Bearer "+g.token("gil", "mfa=false"))
	wantStatus(t, r, http.StatusOK)
	wantGatewayClaimErrors(t, r.upstream, "mfa")
	if e := accessEntry(t, g.access, "/enforced/pass"); e.Auth == nil || e.Auth.Outcome != "soft_denied" {
		t.Errorf("access log auth %+v, want soft_denied", e.Auth)
	}
	if got := g.softDenied() - before; got != 1 {
		t.Errorf("soft_denied went up by %v, want 1 (the 403 is not soft)", got)
	}
	// Optional: anonymous requests pass without the header, forged or not.
	r = g.do("GET", "/optional/anon", "X-Auth-Claim-Errors: []")
	wantStatus(t, r, http.StatusOK)
	wantGatewayClaimErrors(t, r.upstream)
	// A preflight passes without a credential, and without the header.
	r = g.do("OPTIONS", "/app", "Origin: https://app.example", "Access-Control-Request-Method: POST", "X-Auth-Claim-Errors: []")
	wantStatus(t, r, http.StatusOK)
	wantGatewayClaimErrors(t, r.upstream)
}

// The check endpoint applies no route's pass mode: a global validator that
// the route puts in pass mode still makes every answer allowed:false, and a
// named check is enforced as written.
func TestAttackSoftFailCheckEndpointIgnoresPassMode(t *testing.T) {
	g := startAttackSoftGateway(t)
	ask := func(claims ...string) checkAnswer {
		t.Helper()
		return wantAnswer(t, g.do("GET", "/.authgate/check?check=mfa_check", "Authorization: Bearer "+g.token("cat", claims...)))
	}
	if a := ask("mfa=true", "email_verified=false"); a.Allowed || checkFailedIDs(a) != "email_verified" {
		t.Errorf("global failing: %+v, want allowed:false for email_verified", a)
	}
	if a := ask("mfa=false"); a.Allowed || checkFailedIDs(a) != "mfa" {
		t.Errorf("named check failing: %+v, want allowed:false for mfa", a)
	}
	if a := ask("mfa=true"); !a.Allowed {
		t.Errorf("nothing failing: %+v, want allowed", a)
	}
}

// A handler after another on the same request keeps the first one's soft
// failures: the second strips every X-Auth- header it did not set, and the
// upstream must not take "no header" for "every rule held".
func TestAttackSoftFailStackedHandlersKeepEarlierFailures(t *testing.T) {
	g := startAttackSoftGateway(t)
	r := g.do("GET", "/nested/x", "Authorization: Bearer "+g.token("ned", "mfa=false", `plan="pro"`, "tier=1"))
	wantStatus(t, r, http.StatusOK)
	wantGatewayClaimErrors(t, r.upstream, "mfa")
	if e := accessEntry(t, g.access, "/nested/x"); e.Auth == nil || e.Auth.Outcome != "soft_denied" || !slices.Equal(e.Auth.Failed, []string{"mfa"}) {
		t.Errorf("access log auth %+v, want soft_denied [mfa]", e.Auth)
	}
	// Both soften: the global validator failing in both is listed once.
	r = g.do("GET", "/nested/y", "Authorization: Bearer "+g.token("ned", "mfa=false", "email_verified=false", `plan="pro"`))
	wantStatus(t, r, http.StatusOK)
	wantGatewayClaimErrors(t, r.upstream, "email_verified", "mfa", "tier")
	r = g.do("GET", "/nested/z", "Authorization: Bearer "+g.token("ned", "mfa=false", `plan="free"`, "tier=1"))
	wantFailedIDs(t, r, "plan")
	r = g.do("GET", "/nested/w", "Authorization: Bearer "+g.token("ned", "mfa=true", `plan="pro"`, "tier=1"), "X-Auth-Claim-Errors: []")
	wantStatus(t, r, http.StatusOK)
	wantGatewayClaimErrors(t, r.upstream)
}

// reloadSite is a route whose pass-mode lines a reload changes.
const reloadSite = `{
	admin off
	storage file_system {STORAGE}
	authgate {
		dev
		require email_verified is_true
	}
}
http://127.0.0.1:{PORT} {
	handle /a/* {
		authgate {
			require mfa is_true
			require plan one_of pro team
{ONFAILURE}
		}
		reverse_proxy {UPSTREAM}
	}
	handle {
		authgate
		reverse_proxy {UPSTREAM}
	}
}
`

// A reload applies the new pass modes and nothing of the old: removing the
// line enforces the validator again, moving it softens the other one, and
// a global validator softened on one route stays enforced elsewhere.
func TestAttackSoftFailReloadKeepsAndClearsPassModes(t *testing.T) {
	up := echoUpstream(t).URL
	site := func(lines ...string) string {
		return strings.NewReplacer("{UPSTREAM}", up, "{ONFAILURE}", "\t\t\t"+strings.Join(lines, "\n\t\t\t")).Replace(reloadSite)
	}
	g := startGateway(t, site("on_failure mfa pass", "on_failure email_verified pass"))
	port := strings.TrimPrefix(g.base, "http://127.0.0.1:")
	load := func(caddyfile string) {
		t.Helper()
		cfg := adaptCaddyfile(t, strings.NewReplacer("{PORT}", port, "{STORAGE}", g.storage).Replace(caddyfile))
		if err := caddy.Load(cfg, true); err != nil {
			t.Fatalf("reloading: %v", err)
		}
		g.waitUp()
	}
	bearer := func(claims ...string) string {
		return "Authorization: Bearer " + g.mint("rey", claims...)
	}
	mfaOff := bearer("email_verified=true", "mfa=false", `plan="pro"`)
	planOff := bearer("email_verified=true", "mfa=true", `plan="free"`)
	unverified := bearer("email_verified=false", "mfa=true", `plan="pro"`)

	wantGatewayClaimErrors(t, g.do("GET", "/a/1", mfaOff).upstream, "mfa")
	wantGatewayClaimErrors(t, g.do("GET", "/a/2", unverified).upstream, "email_verified")
	wantFailedIDs(t, g.do("GET", "/a/3", planOff), "plan")
	wantFailedIDs(t, g.do("GET", "/other", unverified), "email_verified")

	load(site("on_failure plan pass"))
	wantFailedIDs(t, g.do("GET", "/a/4", mfaOff), "mfa")
	wantFailedIDs(t, g.do("GET", "/a/5", unverified), "email_verified")
	wantGatewayClaimErrors(t, g.do("GET", "/a/6", planOff).upstream, "plan")

	load(site())
	wantFailedIDs(t, g.do("GET", "/a/7", planOff), "plan")
	wantFailedIDs(t, g.do("GET", "/a/8", mfaOff), "mfa")

	g.reload() // the first configuration again
	wantGatewayClaimErrors(t, g.do("GET", "/a/9", mfaOff).upstream, "mfa")
	wantFailedIDs(t, g.do("GET", "/other/2", unverified), "email_verified")
}

// ownRedisSoftSite keeps sessions and the deny-list in a Redis the test
// owns, on a route whose validators are all in pass mode.
const ownRedisSoftSite = `{
	admin off
	storage file_system {STORAGE}
	authgate {
		dev
		session {
			store redis {REDIS} {
				timeout 300ms
			}
			exchange dev
		}
	}
}
http://127.0.0.1:{PORT} {
	authgate {
		require mfa is_true
		on_failure mfa pass
	}
	reverse_proxy {UPSTREAM}
}
`

// A session store that does not answer is a 503 for sessions and tokens
// alike (the deny-list cannot be read), even when only pass-mode
// validators would fail.
func TestAttackSoftFailStoreDownIs503(t *testing.T) {
	rp := sessiontest.StartRedis(t)
	g := startGateway(t, strings.NewReplacer("{REDIS}", rp.URL(), "{UPSTREAM}", echoUpstream(t).URL).Replace(ownRedisSoftSite))
	cookie := "Cookie: " + sessionCookieName + "=" + sesExchange(t, g, "stu", "mfa=false")
	bearer := "Authorization: Bearer " + g.mint("stu", "mfa=false")
	wantGatewayClaimErrors(t, g.do("GET", "/", cookie).upstream, "mfa")
	wantGatewayClaimErrors(t, g.do("GET", "/", bearer).upstream, "mfa")

	rp.Stop()
	defer rp.Cont()
	time.Sleep(1100 * time.Millisecond) // past the 1s session cache
	for _, h := range []string{cookie, bearer} {
		wantHeldBack(t, g.do("GET", "/", h), http.StatusServiceUnavailable)
	}
}

// Careless configurations are refused at load: a credential read from
// X-Auth-Claim-Errors (it would be forwarded under that name when nothing
// failed), pass mode for a validator of another route, or for a global
// validator the route skips.
func TestAttackSoftFailConfigMistakes(t *testing.T) {
	key := filepath.Join(t.TempDir(), "k.pem")
	if err := os.WriteFile(key, verifiertest.NewECKey("k").PublicPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"X-Auth-Claim-Errors", "x_auth_claim_errors"} {
		site := "{\n\tadmin off\n\tstorage file_system {STORAGE}\n\tauthgate {\n\t\tjwt idp {\n\t\t\tissuer a\n" +
			"\t\t\taudience any\n\t\t\tkey_file " + key + "\n\t\t\tfrom header " + name + "\n\t\t}\n\t}\n}\n" +
			"http://127.0.0.1:{PORT} {\n" + route("/a/*", "require mfa is_true", "on_failure mfa pass") + "}\n"
		loadMustFail(t, site, "header "+name+" is reserved for the failures of validators in pass mode")
	}
	loadMustFail(t, policySite("", route("/a/*", "require mfa is_true")+route("/b/*", "on_failure mfa pass")),
		`on_failure: unknown validator id "mfa"`)
	loadMustFail(t, policySite("\t\trequire email_verified is_true", route("/a/*", "skip_global email_verified", "on_failure email_verified pass")),
		`on_failure: unknown validator id "email_verified"`)
}
