package caddymodule

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Attacks on the check endpoint (/.authgate/check) through a real Caddy,
// the way a caller probing it would try them: names asked without a
// credential, query and body spellings, methods and paths, cross-site
// requests, the per-subject budget, claim fetches it triggers, and what
// its answers reveal.

// checkAttackSite is one route in front of the echo upstream.
const checkAttackSite = "\thandle {\n\t\tauthgate\n\t\treverse_proxy {UPSTREAM}\n\t}\n"

// Without a credential every question gets the same 401, whatever it names:
// a known check, an unknown one, a malformed permission, a batch. Nothing
// is looked up before the caller is known, so the answer cannot tell a
// declared name from an undeclared one.
func TestCheckAttackNamesCannotBeProbedWithoutACredential(t *testing.T) {
	g := startPolicyGateway(t, checkGlobal, checkAttackSite)
	var bodies []string
	for _, target := range []string{
		"/.authgate/check?check=writer", "/.authgate/check?check=nope",
		"/.authgate/check?permission=blog:write", "/.authgate/check?permission=no:such",
		"/.authgate/check?check=admin_area&permission=blog:read",
	} {
		for _, auth := range [][]string{nil, {"Authorization: Bearer not.a.jwt"}} {
			r := g.do("GET", target, auth...)
			wantStatus(t, r, http.StatusUnauthorized)
			if r.header.Get("Cache-Control") != "no-store" || r.upstream != nil {
				t.Fatalf("%s: headers %v, upstream reached %v", target, r.header, r.upstream != nil)
			}
			bodies = append(bodies, r.body)
		}
	}
	for i := 2; i < len(bodies); i++ {
		if bodies[i] != bodies[i%2] {
			t.Fatalf("answers differ by name: %q vs %q", bodies[i], bodies[i%2])
		}
	}
	for _, body := range []string{`[{"check":"writer"}]`, `[{"check":"nope"}]`} {
		r := send(t, g.base, "POST", "/.authgate/check", body, "Content-Type: application/json")
		wantReason(t, r, http.StatusUnauthorized, "missing_credential")
	}
}

// Spellings of the query string that could be read as another question
// than the one asked: each is refused or answered as exactly what it says.
func TestCheckAttackQueryTricks(t *testing.T) {
	g := startPolicyGateway(t, checkGlobal+"\n\t\tcheck_limit 1000 1m", checkAttackSite)
	viewer := []string{`tenant="acme"`, `roles=["viewer"]`}
	cases := []struct {
		name, query string
		status      int
		reason      string // for refusals
		allowed     bool   // for answers
	}{
		{"an empty second value", "permission=blog:read&permission=", 400, "bad_request", false},
		{"a name without =", "permission=blog:read&permission", 400, "bad_request", false},
		{"an encoded NUL", "permission=blog:read%00", 400, "bad_permission", false},
		{"an encoded newline", "permission=blog:read%0D%0Ax", 400, "bad_permission", false},
		{"a plus is a space", "permission=blog+read", 400, "bad_permission", false},
		{"not UTF-8", "permission=blog:%C3%28", 400, "bad_permission", false},
		{"a permission over 256 bytes", "permission=" + strings.Repeat("p", 257), 400, "bad_permission", false},
		{"a semicolon does not separate", "permission=blog:write;permission=blog:read", 200, "", false},
		{"a semicolon cannot smuggle a held question", "check=nope;permission=blog:read", 400, "unknown_check", false},
		{"names are case-sensitive", "Permission=blog:read", 400, "bad_request", false},
		{"check names are case-sensitive", "check=WRITER", 400, "unknown_check", false},
		{"an encoded name is not decoded", "perm%69ssion=blog:read", 400, "bad_request", false},
		{"a trailing space is part of the name", "check=writer%20", 400, "unknown_check", false},
		{"an encoded value is decoded", "check=%77riter", 200, "", false},
		{"a duplicate question is one question", "permission=blog:read&permission=blog:read", 200, "", true},
		{"a duplicate check beside a failing one still fails", "permission=blog:read&check=writer&permission=blog:read", 200, "", false},
		{"empty parts are skipped", "&&permission=blog:read&&", 200, "", true},
		{"a wildcard is literal", "permission=blog:*", 200, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := g.as("/.authgate/check?"+tc.query, viewer...)
			if tc.status != http.StatusOK {
				wantReason(t, r, tc.status, tc.reason)
				if r.header.Get("Cache-Control") != "no-store" {
					t.Errorf("Cache-Control = %q", r.header.Get("Cache-Control"))
				}
				return
			}
			if a := wantAnswer(t, r); a.Allowed != tc.allowed {
				t.Fatalf("allowed = %v, want %v: %s", a.Allowed, tc.allowed, r.body)
			}
		})
	}
	t.Run("a permission shaped as markup is answered as JSON text, escaped", func(t *testing.T) {
		r := g.as("/.authgate/check?permission=%3Cscript%3Ealert(1)%3C/script%3E", viewer...)
		wantAnswer(t, r)
		if strings.Contains(r.body, "<") || r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("answer %s, headers %v", r.body, r.header)
		}
	})
	t.Run("twenty copies of one question cost one unit and are not a batch over the cap", func(t *testing.T) {
		wantAnswer(t, g.as("/.authgate/check?"+strings.Repeat("check=writer&", 21), viewer...))
	})
}

// Bodies a strict reader and a lax one could read differently, or that
// cost more to read than they should.
func TestCheckAttackBodyTricks(t *testing.T) {
	g := startPolicyGateway(t, checkGlobal+"\n\t\tcheck_limit 1000 1m", checkAttackSite)
	auth := "Authorization: Bearer " + g.mint("alice", `tenant="acme"`, `roles=["viewer"]`)
	post := func(body string, ctype string) response {
		return send(t, g.base, "POST", "/.authgate/check", body, "Content-Type: "+ctype, auth)
	}
	refused := []struct{ name, body, ctype, reason string }{
		{"a value that is a list", `[{"permission":["blog:read"]}]`, "application/json", "bad_request"},
		{"a null question", `[null]`, "application/json", "bad_request"},
		{"a null permission", `[{"permission":null}]`, "application/json", "bad_request"},
		{"null instead of a list", `null`, "application/json", "bad_request"},
		{"data after the list", `[{"check":"writer"}]{"check":"nope"}`, "application/json", "bad_request"},
		{"a second list", `[{"check":"writer"}][]`, "application/json", "bad_request"},
		{"a byte-order mark", "\ufeff[{\"check\":\"writer\"}]", "application/json", "bad_request"},
		{"deep nesting", strings.Repeat("[", 8000) + strings.Repeat("]", 8000), "application/json", "bad_request"},
		{"a permission with a raw control character", "[{\"permission\":\"a\x01b\"}]", "application/json", "bad_request"},
		{"a permission escaping a NUL", `[{"permission":"blog:read\u0000"}]`, "application/json", "bad_permission"},
		{"a JSON-patch type", `[{"check":"writer"}]`, "application/json-patch+json", "unsupported_media_type"},
		{"two types", `[{"check":"writer"}]`, "text/plain, application/json", "unsupported_media_type"},
		{"a text/plain CSRF body", `[{"check":"writer"}]`, "text/plain", "unsupported_media_type"},
		{"UTF-16 JSON", "\xff\xfe[\x00]\x00", "application/json; charset=utf-16", "bad_request"},
		{"a body that is not UTF-8", "[{\"permission\":\"blog:\xff\"}]", "application/json", "bad_request"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			r := post(tc.body, tc.ctype)
			status := http.StatusBadRequest
			if tc.reason == "unsupported_media_type" {
				status = http.StatusUnsupportedMediaType
			}
			wantReason(t, r, status, tc.reason)
		})
	}
	t.Run("a media type in capitals with parameters is JSON", func(t *testing.T) {
		wantStatus(t, post(`[{"check":"writer"}]`, `Application/JSON; charset="UTF-8"`), http.StatusOK)
	})
	t.Run("a duplicated key is never read as two questions", func(t *testing.T) {
		r := post(`[{"permission":"blog:write","permission":"blog:read"}]`, "application/json")
		if r.status != http.StatusOK && r.status != http.StatusBadRequest {
			t.Fatalf("status %d %s", r.status, r.body)
		}
		if r.status == http.StatusOK && strings.Count(r.body, `"allowed"`) != 1 {
			t.Fatalf("one question, answers %s", r.body)
		}
	})
	t.Run("a chunked body over the cap is cut off at the cap", func(t *testing.T) {
		status, body := g.rawCheck(auth, 1<<20)
		if status != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"reason":"body_too_large"`) {
			t.Fatalf("got %d %s", status, body)
		}
	})
	t.Run("a small chunked body is read", func(t *testing.T) {
		if status, body := g.rawCheck(auth, 0); status != http.StatusOK || !strings.Contains(body, `"results"`) {
			t.Fatalf("got %d %s", status, body)
		}
	})
}

// rawCheck POSTs a chunked batch over a raw socket: one question, padded
// with pad bytes of JSON whitespace, sent in 4 KiB chunks.
func (g *gateway) rawCheck(auth string, pad int) (int, string) {
	g.t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(g.base, "http://"), 5*time.Second)
	if err != nil {
		g.t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	w := bufio.NewWriter(conn)
	fmt.Fprintf(w, "POST /.authgate/check HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n"+
		"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", auth)
	chunk := func(s string) { fmt.Fprintf(w, "%x\r\n%s\r\n", len(s), s) }
	chunk(`[{"check":"writer"}`)
	for sent := 0; sent < pad; sent += 4096 {
		chunk(strings.Repeat(" ", 4096))
	}
	chunk("]")
	w.WriteString("0\r\n\r\n")
	_ = w.Flush() // the gateway may answer and close before reading it all
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		g.t.Fatalf("reading response: %v", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// Methods and method-override headers: only GET and POST are answered,
// and no header makes one into the other.
func TestCheckAttackMethods(t *testing.T) {
	g := startPolicyGateway(t, checkGlobal, checkAttackSite)
	auth := "Authorization: Bearer " + g.mint("alice", `tenant="acme"`, `roles=["viewer"]`)
	for _, method := range []string{"HEAD", "OPTIONS", "PUT", "TRACE"} {
		r := g.do(method, "/.authgate/check?check=writer", auth, "X-HTTP-Method-Override: GET",
			"Origin: https://evil.example", "Access-Control-Request-Method: POST")
		wantStatus(t, r, http.StatusMethodNotAllowed)
		if r.upstream != nil || r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("%s: upstream reached %v, headers %v", method, r.upstream != nil, r.header)
		}
	}
	r := g.do("GET", "/.authgate/check?permission=blog:read", auth, "X-HTTP-Method-Override: DELETE",
		"X-HTTP-Method: PUT", "X-Method-Override: PATCH")
	if a := wantAnswer(t, r); !a.Allowed {
		t.Fatalf("a GET with override headers: %s", r.body)
	}
}

// Spellings of the endpoint's path: each is either the endpoint or an
// ordinary protected path; none reaches the upstream without a credential,
// and none answers a check on a path the endpoint does not own.
func TestCheckAttackPathVariants(t *testing.T) {
	g := startPolicyGateway(t, checkGlobal, checkAttackSite)
	auth := "Authorization: Bearer " + g.mint("alice", `tenant="acme"`, `roles=["viewer"]`)
	cases := []struct {
		path     string
		endpoint bool
	}{
		{"/.authgate/check", true},
		{"/%2eauthgate/check", true}, // the decoded path is the endpoint's
		{"/.authgate/%63heck", true},
		{"/.authgate%2Fcheck", true},
		{"/.authgate/check/", false},
		{"/.authgate//check", false},
		{"/.authgate/check%2F", false},
		{"/.AUTHGATE/check", false},
		{"/.authgate/Check", false},
		{"/.authgate/check;x", false},
		{"/.authgate/check%00", false},
		{"/x/../.authgate/check", false}, // sent as written; Caddy does not clean it
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			target := tc.path + "?permission=blog:read"
			anon := g.do("GET", target)
			if anon.upstream != nil || anon.status != http.StatusUnauthorized && anon.status != http.StatusBadRequest {
				t.Fatalf("without a credential: %d, upstream reached %v", anon.status, anon.upstream != nil)
			}
			r := g.do("GET", target, auth)
			if tc.endpoint {
				if a := wantAnswer(t, r); !a.Allowed {
					t.Fatalf("answer %s", r.body)
				}
				return
			}
			if r.status == http.StatusOK && r.upstream == nil {
				t.Fatalf("a check answered off its path: %s", r.body)
			}
			if r.upstream != nil && r.upstream.Get("X-Auth-User-Id") != "alice" {
				t.Fatalf("upstream reached without the identity: %v", r.upstream)
			}
		})
	}
}

// A page on another site can make the browser send the session cookie
// (SameSite=Lax: top-level navigations only) but cannot make it send JSON
// without a preflight the gateway never answers: a form or text/plain POST
// is 415, and a GET changes nothing, so there is nothing to forge.
func TestCheckAttackCrossSiteRequests(t *testing.T) {
	g := startSessionGateway(t, "")
	cookie := "Cookie: " + sessionCookieName + "=" + sesExchange(t, g, "alice", `roles=["admin"]`)
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b"} {
		r := send(t, g.base, "POST", "/.authgate/check", `[{"permission":"blog:read"}]`, cookie,
			"Content-Type: "+ct, "Origin: https://evil.example", "Sec-Fetch-Site: cross-site")
		wantReason(t, r, http.StatusUnsupportedMediaType, "unsupported_media_type")
		if r.header.Get("Access-Control-Allow-Origin") != "" || len(r.header.Values("Set-Cookie")) != 0 {
			t.Fatalf("headers %v", r.header)
		}
	}
	r := g.do("OPTIONS", "/.authgate/check", cookie, "Origin: https://evil.example",
		"Access-Control-Request-Method: POST", "Access-Control-Request-Headers: content-type")
	wantStatus(t, r, http.StatusMethodNotAllowed)
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("the preflight was answered: %v", r.header)
	}
}

// The budget is the subject's: new tokens do not refill it, probing names
// spends it, a GET cannot ask more than one unit per distinct question,
// and a batch larger than the budget is refused whole.
func TestCheckAttackBudgetCannotBeSidestepped(t *testing.T) {
	g := startPolicyGateway(t, checkGlobal+"\n\t\tcheck_limit 4 1m", checkAttackSite)
	alice := func() string { return "Authorization: Bearer " + g.mint("alice", `tenant="acme"`) }
	batch := func(n int) string {
		return "[" + strings.TrimSuffix(strings.Repeat(`{"check":"writer"},`, n), ",") + "]"
	}
	r := send(t, g.base, "POST", "/.authgate/check", batch(5), "Content-Type: application/json", alice())
	wantReason(t, r, http.StatusBadRequest, "batch_too_large")
	for i := range 4 { // unknown names cost as much as known ones
		wantReason(t, g.do("GET", fmt.Sprintf("/.authgate/check?check=probe%d", i), alice()), http.StatusBadRequest, "unknown_check")
	}
	for _, target := range []string{"/.authgate/check?check=writer", "/.authgate/check?check=nope"} {
		wantReason(t, g.do("GET", target, alice()), http.StatusTooManyRequests, "rate_limited")
	}
	r = send(t, g.base, "POST", "/.authgate/check", batch(1), "Content-Type: application/json", alice())
	wantReason(t, r, http.StatusTooManyRequests, "rate_limited")
	// bob: four distinct questions fit, one more does not, however spelt.
	bob := "Authorization: Bearer " + g.mint("bob", `tenant="acme"`)
	wantStatus(t, g.do("GET", "/.authgate/check?check=writer&check=writer&check=%77riter&permission=blog:read", bob), http.StatusOK)
	wantStatus(t, g.do("GET", "/.authgate/check?check=admin_area&permission=blog:write", bob), http.StatusOK)
	wantReason(t, g.do("GET", "/.authgate/check?check=writer", bob), http.StatusTooManyRequests, "rate_limited")
}

// A batch of questions whose validators refetch a claim on every
// evaluation (max_age 0) costs one fetch per distinct question, within the
// subject's budget (twenty copies of one question made twenty fetches in
// a row, two seconds here, before copies shared the first answer);
// parallel requests of one subject share the fetch of one key and never
// hold more of the source's connections than the per-subject cap.
func TestCheckAttackClaimFetchStorm(t *testing.T) {
	var inFlight, peak, calls atomic.Int64
	var mu sync.Mutex
	src := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		n := inFlight.Add(1)
		mu.Lock()
		peak.Store(max(peak.Load(), n))
		mu.Unlock()
		time.Sleep(100 * time.Millisecond)
		inFlight.Add(-1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"plan":"pro"}`)
	})
	srv := httptest.NewServer(src)
	t.Cleanup(srv.Close)
	g := startPolicyGateway(t, `
		check_limit 200 1m
		claim plan {
			fetch `+srv.URL+`/plan/{sub}
			path plan
			max_age 0
			timeout 5s
		}
		check pro {
			require plan has_value pro max_age 0
		}`, checkAttackSite)
	auth := "Authorization: Bearer " + g.mint("alice")
	batch := "[" + strings.TrimSuffix(strings.Repeat(`{"check":"pro"},`, 20), ",") + "]"
	r := send(t, g.base, "POST", "/.authgate/check", batch, "Content-Type: application/json", auth)
	wantStatus(t, r, http.StatusOK)
	if n := calls.Load(); n != 1 {
		t.Fatalf("a batch of one question asked 20 times made %d fetches, want 1", n)
	}
	calls.Store(0)
	r = send(t, g.base, "POST", "/.authgate/check", `[{"check":"pro"},{"permission":"x:y"},{"check":"pro"}]`,
		"Content-Type: application/json", auth)
	if n := calls.Load(); r.status != http.StatusOK || n != 1 {
		t.Fatalf("status %d, %d fetches for two copies of one question", r.status, n)
	}
	calls.Store(0)
	var wg sync.WaitGroup
	statuses := make([]int, 10)
	for i := range statuses {
		wg.Go(func() {
			statuses[i] = send(t, g.base, "POST", "/.authgate/check", `[{"check":"pro"}]`, "Content-Type: application/json", auth).status
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 8 {
		t.Fatalf("%d fetches of one subject in flight, over the per-subject cap of 8", p)
	}
	for _, s := range statuses {
		if s != http.StatusOK && s != http.StatusServiceUnavailable {
			t.Fatalf("statuses %v", statuses)
		}
	}
}

// An answer says what the 403 body would, no more: claims no validator of
// the question reads, and the credential, never appear.
func TestCheckAttackAnswersRevealOnlyWhatTheDenialWould(t *testing.T) {
	g := startPolicyGateway(t, checkGlobal, checkAttackSite+route("/admin/*", "require roles includes admin", "require mfa is_true"))
	claims := []string{`tenant="acme"`, `roles=["viewer"]`, `ssn="078-05-1120"`, `salary=123456`}
	token := g.mint("alice", claims...)
	check := g.do("GET", "/.authgate/check?check=admin_area&permission=blog:write", "Authorization: Bearer "+token)
	wantAnswer(t, check)
	denied := g.do("GET", "/admin/x", "Authorization: Bearer "+token)
	wantStatus(t, denied, http.StatusForbidden)
	for _, secret := range []string{"078-05-1120", "123456", "ssn", "salary", token, "alice"} {
		if strings.Contains(check.body, secret) {
			t.Errorf("the answer holds %q: %s", secret, check.body)
		}
	}
	// The named check's failures are the route's 403 failures, verbatim.
	_, failures, _ := strings.Cut(denied.body, `"claimValidationErrors":[`)
	if !strings.Contains(check.body, strings.TrimSuffix(failures, "]}")) {
		t.Fatalf("check %s\n403   %s", check.body, denied.body)
	}
}
