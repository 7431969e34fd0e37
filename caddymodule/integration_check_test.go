package caddymodule

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The check endpoint (issue 15 item 2) through a real Caddy: a front end
// asks whether the caller may do something, by permission or by a named
// check, the way Warrant's check and Stytch's authorization_check answer.

// checkGlobal declares roles, a global validator and two named checks.
const checkGlobal = `
		role editor blog:read blog:write
		role viewer blog:read
		require tenant exists
		check admin_area {
			require roles includes admin
			require mfa is_true
		}
		check writer {
			require permission blog:write
		}`

// checkRoutes is one route, sending browsers without a credential to log
// in; its endpoints serve the check.
const checkRoutes = "\thandle {\n\t\tauthgate {\n\t\t\tlogin_url https://login.example.com/\n\t\t}\n" +
	"\t\treverse_proxy {UPSTREAM}\n\t}\n"

// checkAnswer is one answer of the check endpoint.
type checkAnswer struct {
	Allowed bool           `json:"allowed"`
	Errors  []claimFailure `json:"claimValidationErrors"`
}

// wantAnswer checks that r is a 200 answer, never cached, and returns it.
func wantAnswer(t *testing.T, r response) checkAnswer {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	if r.upstream != nil {
		t.Fatal("the check reached the upstream")
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if got := r.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	var a checkAnswer
	if err := json.Unmarshal([]byte(r.body), &a); err != nil {
		t.Fatalf("answer is not JSON: %s", r.body)
	}
	return a
}

// checkFailedIDs lists the ids of an answer's failures.
func checkFailedIDs(a checkAnswer) string {
	ids := make([]string, len(a.Errors))
	for i, f := range a.Errors {
		ids[i] = f.ID
	}
	return strings.Join(ids, ",")
}

func TestCheckEndpointAnswersPermissionsAndNamedChecks(t *testing.T) {
	g := startPolicyGateway(t, checkGlobal, checkRoutes)
	viewer := []string{`tenant="acme"`, `roles=["viewer"]`}
	admin := []string{`tenant="acme"`, `roles=["admin","editor"]`, "mfa=true"}
	cases := []struct {
		name    string
		query   string
		claims  []string
		allowed bool
		failed  string // ids of the failures, in order
	}{
		{"a permission a role grants is allowed", "permission=blog:read", viewer, true, ""},
		{"a permission the roles lack is refused", "permission=blog:write", viewer, false, "permission:blog:write"},
		{"a named check whose validators hold is allowed", "check=admin_area", admin, true, ""},
		{"a named check reports every failing validator", "check=admin_area", viewer, false, "roles,mfa"},
		{"a named check of a permission", "check=writer", admin, true, ""},
		{"every question of a GET must hold", "permission=blog:read&check=writer", viewer, false, "permission:blog:write"},
		{"all questions holding is allowed", "permission=blog:read&permission=blog:write&check=admin_area", admin, true, ""},
		{"a failing global validator refuses every question, reported once",
			"permission=blog:read&check=writer", []string{`roles=["admin","editor"]`}, false, "tenant"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := wantAnswer(t, g.as("/.authgate/check?"+tc.query, tc.claims...))
			if a.Allowed != tc.allowed || checkFailedIDs(a) != tc.failed {
				t.Fatalf("answer allowed=%v failed=%q, want %v %q", a.Allowed, checkFailedIDs(a), tc.allowed, tc.failed)
			}
		})
	}
	t.Run("the reasons are those of the 403 the route would answer", func(t *testing.T) {
		r := g.as("/.authgate/check?check=admin_area", viewer...)
		want := `{"allowed":false,"claimValidationErrors":[` +
			`{"id":"roles","reason":{"message":"wrong value","expectedToInclude":"admin","actualValue":["viewer"]}},` +
			`{"id":"mfa","reason":{"message":"value does not exist","expectedValue":true}}]}`
		if r.body != want {
			t.Fatalf("body\n got %s\nwant %s", r.body, want)
		}
		if allowed := wantAnswer(t, r).Allowed; allowed {
			t.Fatal("allowed")
		}
		if r := g.as("/.authgate/check?permission=blog:read", viewer...); r.body != `{"allowed":true}` {
			t.Fatalf("allowed body = %s", r.body)
		}
	})
}

func TestCheckEndpointBatchAnswersInOrderAndIsCapped(t *testing.T) {
	g := startPolicyGateway(t, checkGlobal, "\thandle {\n\t\tauthgate\n\t\treverse_proxy {UPSTREAM}\n\t}\n")
	auth := "Authorization: Bearer " + g.mint("alice", `tenant="acme"`, `roles=["editor"]`)
	post := func(body string, headers ...string) response {
		return send(t, g.base, "POST", "/.authgate/check", body, append(headers, auth)...)
	}
	r := post(`[{"permission":"docs:read"},{"check":"admin_area"},{"permission":"blog:write"},{"check":"writer"}]`,
		"Content-Type: application/json")
	wantStatus(t, r, http.StatusOK)
	var batch struct{ Results []checkAnswer }
	if err := json.Unmarshal([]byte(r.body), &batch); err != nil {
		t.Fatalf("batch answer %s", r.body)
	}
	var got []string
	for _, a := range batch.Results {
		got = append(got, fmt.Sprintf("%v:%s", a.Allowed, checkFailedIDs(a)))
	}
	if want := "false:permission:docs:read false:roles,mfa true: true:"; strings.Join(got, " ") != want {
		t.Fatalf("results %q, want %q", strings.Join(got, " "), want)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", r.header.Get("Cache-Control"))
	}

	t.Run("a batch over the cap is refused whole", func(t *testing.T) {
		big := "[" + strings.Repeat(`{"permission":"blog:read"},`, 20) + `{"check":"writer"}]`
		wantReason(t, post(big, "Content-Type: application/json"), http.StatusBadRequest, "batch_too_large")
	})
	t.Run("a body over the cap is refused unread", func(t *testing.T) {
		huge := `[{"permission":"` + strings.Repeat("p", 64<<10) + `"}]`
		wantReason(t, post(huge, "Content-Type: application/json"), http.StatusRequestEntityTooLarge, "body_too_large")
	})
	t.Run("a POST that is not JSON gets 415, as the exchange does", func(t *testing.T) {
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
			wantReason(t, post(`[{"check":"writer"}]`, "Content-Type: "+ct), http.StatusUnsupportedMediaType, "unsupported_media_type")
		}
	})
}

func TestCheckEndpointRefusesUnknownNamesWithoutEcho(t *testing.T) {
	g := startPolicyGateway(t, checkGlobal, "\thandle {\n\t\tauthgate\n\t\treverse_proxy {UPSTREAM}\n\t}\n")
	claims := []string{`tenant="acme"`, `roles=["editor"]`}
	probe := "evil_probe"
	cases := []struct {
		name, method, target, body, reason string
	}{
		{"an undeclared check", "GET", "/.authgate/check?check=" + probe, "", "unknown_check"},
		{"an undeclared check beside known ones", "GET", "/.authgate/check?check=writer&check=" + probe, "", "unknown_check"},
		{"an undeclared check in a batch", "POST", "/.authgate/check", `[{"check":"writer"},{"check":"` + probe + `"}]`, "unknown_check"},
		{"a permission that cannot be one", "GET", "/.authgate/check?permission=" + probe + "%0A%3Cscript%3E", "", "bad_permission"},
		{"a free-form expression", "GET", "/.authgate/check?expr=" + probe, "", "bad_request"},
		{"a question in a field the batch does not know", "POST", "/.authgate/check", `[{"expression":"` + probe + `"}]`, "bad_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, g.base, tc.method, tc.target, tc.body, "Content-Type: application/json",
				"Authorization: Bearer "+g.mint("alice", claims...))
			wantReason(t, r, http.StatusBadRequest, tc.reason)
			if strings.Contains(r.body, probe) || strings.Contains(strings.ToLower(r.body), "script") {
				t.Fatalf("the answer echoes the name: %s", r.body)
			}
		})
	}
}

func TestCheckEndpointNeedsACredentialAndNeverRedirects(t *testing.T) {
	g := startPolicyGateway(t, checkGlobal, checkRoutes)
	navigation := []string{"Accept: text/html", "Sec-Fetch-Mode: navigate"}
	// On this route a browser navigation without a credential is sent to
	// log in; the check endpoint served on it answers 401.
	wantStatus(t, g.do("GET", "/page", navigation...), http.StatusFound)
	r := g.do("GET", "/.authgate/check?check=writer", navigation...)
	wantReason(t, r, http.StatusUnauthorized, "missing_credential")
	if r.header.Get("Location") != "" || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("headers %v", r.header)
	}
	t.Run("an unknown name asked without a credential is a 401, not a 400", func(t *testing.T) {
		wantReason(t, g.do("GET", "/.authgate/check?check=nope"), http.StatusUnauthorized, "missing_credential")
	})
	t.Run("a bad token gets the route's 401 reason", func(t *testing.T) {
		r := g.do("GET", "/.authgate/check?check=writer", append(navigation, "Authorization: Bearer not.a.jwt")...)
		wantReason(t, r, http.StatusUnauthorized, "malformed")
	})
	t.Run("a batch without a credential", func(t *testing.T) {
		r := send(t, g.base, "POST", "/.authgate/check", `[{"check":"writer"}]`, "Content-Type: application/json")
		wantReason(t, r, http.StatusUnauthorized, "missing_credential")
	})
}

func TestCheckEndpointBudgetsQuestionsPerSubject(t *testing.T) {
	g := startPolicyGateway(t, checkGlobal+"\n\t\tcheck_limit 3 1m", "\thandle {\n\t\tauthgate\n\t\treverse_proxy {UPSTREAM}\n\t}\n")
	alice := "Authorization: Bearer " + g.mint("alice", `tenant="acme"`)
	r := send(t, g.base, "POST", "/.authgate/check", `[{"permission":"blog:read"},{"check":"writer"}]`,
		"Content-Type: application/json", alice)
	wantStatus(t, r, http.StatusOK)
	wantStatus(t, g.do("GET", "/.authgate/check?check=writer", alice), http.StatusOK)
	r = g.do("GET", "/.authgate/check?check=writer", alice)
	wantReason(t, r, http.StatusTooManyRequests, "rate_limited")
	if got := r.header.Get("Retry-After"); got != "20" {
		t.Errorf("Retry-After = %q, want 20 (a third of a minute)", got)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", r.header.Get("Cache-Control"))
	}
	// A new token of the same subject shares the budget; another subject
	// has its own.
	wantStatus(t, g.do("GET", "/.authgate/check?check=writer", "Authorization: Bearer "+g.mint("alice")), http.StatusTooManyRequests)
	wantStatus(t, g.do("GET", "/.authgate/check?check=writer", "Authorization: Bearer "+g.mint("bob")), http.StatusOK)
	// The budget is the check endpoint's: alice's requests to the app pass.
	wantStatus(t, g.do("GET", "/x", "Authorization: Bearer "+g.mint("alice", `tenant="acme"`)), http.StatusOK)
}

func TestCheckEndpointGetChangesNothing(t *testing.T) {
	g := startSessionGateway(t, "")
	token := sesExchange(t, g, "alice", `roles=["admin"]`)
	cookie := "Cookie: " + sessionCookieName + "=" + token
	before := g.do("GET", "/.authgate/session", cookie)
	wantStatus(t, before, http.StatusOK)
	for range 3 {
		r := g.do("GET", "/.authgate/check?permission=blog:read", cookie, "Sec-Fetch-Site: cross-site")
		wantStatus(t, r, http.StatusOK)
		if sc := r.header.Values("Set-Cookie"); len(sc) != 0 {
			t.Fatalf("a GET check set cookies: %q", sc)
		}
	}
	after := g.do("GET", "/.authgate/session", cookie)
	wantStatus(t, after, http.StatusOK)
	var b, a struct {
		SessionID string         `json:"session_id"`
		Claims    map[string]any `json:"claims"`
	}
	_ = json.Unmarshal([]byte(before.body), &b)
	_ = json.Unmarshal([]byte(after.body), &a)
	if b.SessionID == "" || a.SessionID != b.SessionID || fmt.Sprint(a.Claims) != fmt.Sprint(b.Claims) {
		t.Fatalf("the session changed: before %s, after %s", before.body, after.body)
	}
	for _, method := range []string{"PUT", "DELETE", "PATCH"} {
		r := send(t, g.base, method, "/.authgate/check?permission=blog:read", `[]`, cookie, "Content-Type: application/json")
		wantReason(t, r, http.StatusMethodNotAllowed, "method_not_allowed")
		if r.header.Get("Allow") != "GET, POST" {
			t.Errorf("Allow = %q", r.header.Get("Allow"))
		}
	}
}

func TestCheckEndpointFetchesClaimsThroughTheClaimSource(t *testing.T) {
	src := newUserService(t)
	src.setRoles("bob", "editor")
	g := startPolicyGateway(t, checkGlobal+`
		claim roles {
			fetch `+src.URL+`/v1/users/{sub}/roles
			path roles
			max_age 0
			timeout 1s
		}`, "\thandle {\n\t\tauthgate\n\t\treverse_proxy {UPSTREAM}\n\t}\n")
	bob := "Authorization: Bearer " + g.mint("bob", `tenant="acme"`, `roles=["viewer"]`)
	a := wantAnswer(t, g.do("GET", "/.authgate/check?permission=blog:write", bob))
	if !a.Allowed {
		t.Fatalf("the refreshed roles were not used: %+v", a)
	}
	wantCalls(t, src, "roles", "bob", 1)
	r := send(t, g.base, "POST", "/.authgate/check", `[{"permission":"blog:write"},{"check":"writer"}]`,
		"Content-Type: application/json", bob)
	wantStatus(t, r, http.StatusOK)
	wantCalls(t, src, "roles", "bob", 3)
	t.Run("a claim source down is a 503, never an answer", func(t *testing.T) {
		down := "Authorization: Bearer " + g.mint("down-carol", `tenant="acme"`)
		r := g.do("GET", "/.authgate/check?permission=blog:read", down)
		wantReason(t, r, http.StatusServiceUnavailable, "claim_source_unavailable")
		if r.header.Get("Retry-After") == "" {
			t.Error("no Retry-After")
		}
	})
}

func TestCheckConfigErrorsRefuseToLoad(t *testing.T) {
	site := "\thandle {\n\t\tauthgate\n\t\treverse_proxy {UPSTREAM}\n\t}\n"
	cases := []struct{ name, global, want string }{
		{"a bad check name", "check \"has space\" {\n\t\t\trequire mfa is_true\n\t\t}", "check name"},
		{"a check without validators", "check empty {\n\t\t}", "needs at least one require line"},
		{"a check declared twice", "check a {\n\t\t\trequire mfa is_true\n\t\t}\n\t\tcheck a {\n\t\t\trequire mfa is_true\n\t\t}", "declared twice"},
		{"a bad validator", "check a {\n\t\t\trequire mfa is_ture\n\t\t}", "unknown validator"},
		{"a permission no role grants", "check a {\n\t\t\trequire permission nobody:has\n\t\t}", "no role grants"},
		{"something else than require", "check a {\n\t\t\tallow everyone\n\t\t}", "want require"},
		{"a check_limit without a window", "check_limit 5", "wrong argument count"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			loadMustFail(t, policySite(tc.global, site), tc.want)
		})
	}
}

func TestCheckDocsExampleAnswersAsDocumented(t *testing.T) {
	g := startGateway(t, runnableExample(t, "policy-check", echoUpstream(t).URL))
	viewer := []string{"email_verified=true", `roles=["viewer"]`}
	if r := g.as("/.authgate/check?permission=docs:read", viewer...); r.body != `{"allowed":true}` {
		t.Fatalf("permission answer %d %s", r.status, r.body)
	}
	want := `{"allowed":false,"claimValidationErrors":[` +
		`{"id":"roles","reason":{"message":"wrong value","expectedToInclude":"admin","actualValue":["viewer"]}},` +
		`{"id":"mfa","reason":{"message":"value does not exist","expectedValue":true}}]}`
	if r := g.as("/.authgate/check?permission=docs:read&check=admin_area", viewer...); r.body != want {
		t.Fatalf("combined answer %d %s\nwant %s", r.status, r.body, want)
	}
	r := send(t, g.base, "POST", "/.authgate/check", `[{"permission":"docs:read"},{"check":"admin_area"}]`,
		"Content-Type: application/json", "Authorization: Bearer "+g.mint("alice", viewer...))
	if !strings.HasPrefix(r.body, `{"results":[{"allowed":true},{"allowed":false,"claimValidationErrors":[`) {
		t.Fatalf("batch answer %d %s", r.status, r.body)
	}
	a := wantAnswer(t, g.as("/.authgate/check?check=billing", "email_verified=true", `roles=["accountant"]`, `plan="team"`))
	if !a.Allowed {
		t.Fatalf("billing check: %+v", a)
	}
}

// TestCheckEndpointFetchesCountAgainstTheSubjectsCap: the claim fetches a
// check makes take the subject's in-flight fetch slots (8) like a route's:
// while eight checks of alice hold a fetch each at a hung source, her
// ninth fetch, from another check or from a route, is a 503 at once and
// never reaches the source; bob's fetch of the same claim goes through.
func TestCheckEndpointFetchesCountAgainstTheSubjectsCap(t *testing.T) {
	var inFlight, ninth atomic.Int64
	release := make(chan struct{})
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/c9/") {
			ninth.Add(1)
		} else {
			inFlight.Add(1)
			select {
			case <-release:
			case <-time.After(20 * time.Second):
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"v":true}`)
	}))
	t.Cleanup(src.Close)
	var releaseOnce sync.Once
	free := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(free) // before src.Close, which waits for hung handlers
	var global strings.Builder
	global.WriteString("\t\tcheck_limit 100 1m\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&global, "\t\tclaim c%d {\n\t\t\tfetch %s/c%d/{sub}\n\t\t\tpath v\n\t\t\tmax_age 0\n\t\t\ttimeout 30s\n\t\t}\n", i, src.URL, i)
		fmt.Fprintf(&global, "\t\tcheck hold%d {\n\t\t\trequire c%d exists\n\t\t}\n", i, i)
	}
	g := startPolicyGateway(t, global.String(), checkAttackSite+route("/ninth/*", "require c9 exists"))

	statuses := make([]int, 8)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			statuses[i] = g.as(fmt.Sprintf("/.authgate/check?check=hold%d", i+1)).status
		})
	}
	sesWaitFor(t, 15*time.Second, "eight checks of alice holding a fetch each", func() bool { return inFlight.Load() == 8 })

	wantReason(t, g.as("/.authgate/check?check=hold9"), http.StatusServiceUnavailable, "claim_source_unavailable")
	wantReason(t, g.as("/ninth/x"), http.StatusServiceUnavailable, "claim_source_unavailable")
	if n := ninth.Load(); n != 0 {
		t.Fatalf("alice's ninth fetch reached the source %d times while her checks held eight", n)
	}
	a := wantAnswer(t, g.do("GET", "/.authgate/check?check=hold9", "Authorization: Bearer "+g.mint("bob")))
	if !a.Allowed || ninth.Load() != 1 {
		t.Fatalf("bob's check: %+v after %d fetches, want allowed after one", a, ninth.Load())
	}

	free()
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusOK {
			t.Fatalf("check hold%d answered %d once the source answered", i+1, s)
		}
	}
	if a := wantAnswer(t, g.as("/.authgate/check?check=hold9")); !a.Allowed {
		t.Fatalf("alice's check once her fetches ended: %+v", a)
	}
}
