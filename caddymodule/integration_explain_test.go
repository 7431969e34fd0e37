package caddymodule

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/explain"
	"github.com/authgate/authgate/session/sessiontest"
)

// explainSite has one route per decision `caddy authgate explain` must
// explain: allow (the default route), 403 (/staff/, a team validator),
// a claim refreshed on every request (/admin/), a browser login
// (/app/, login_url), an introspected credential (/opaque/), a route
// without authgate (/public/) and one with a rewrite before authgate
// (/rw/), and one accepting st tokens and sessions of st or the admin API
// only (/st-or-session/). Sessions live in Redis, with a 1 s touch
// interval, and end no later than the token they were exchanged from. Two
// named checks (ops_team; admin_roles, refreshed on every question) are
// declared for the check endpoint.
const explainSite = `{
	admin {ADMIN}
	storage file_system {STORAGE}
	{LOG}
	authgate {
		dev
		introspect st {
			url {INTROSPECT}
			from header X-Session-Token
			subject_template st:{sub}
			same_subjects dev
			cache_ttl 1m
		}
		session {
			store redis {REDIS} {
				timeout 3s
			}
			exchange dev
			idle_timeout 10s
			bind_to_token
		}
		claim roles {
			fetch {SOURCE}/v1/users/{sub}/roles
			path roles
			max_age 1h
		}
		header X-Auth-User-Id {sub}
		header X-Auth-Roles {claims.roles}
		check ops_team {
			require team includes ops
		}
		check admin_roles {
			require roles includes admin max_age 0
		}
	}
}
http://127.0.0.1:{PORT} {
	handle /staff/* {
		authgate {
			require team includes ops
		}
		reverse_proxy {UPSTREAM}
	}
	handle /admin/* {
		authgate {
			require roles includes admin max_age 0
		}
		reverse_proxy {UPSTREAM}
	}
	handle /app/* {
		authgate {
			login_url https://login.example.com/
		}
		reverse_proxy {UPSTREAM}
	}
	handle /opaque/* {
		authgate {
			verifiers st
		}
		reverse_proxy {UPSTREAM}
	}
	handle /st-or-session/* {
		authgate {
			verifiers st session
		}
		reverse_proxy {UPSTREAM}
	}
	handle /public/* {
		respond "public"
	}
	handle_path /rw/* {
		authgate
		reverse_proxy {UPSTREAM}
	}
	handle {
		authgate
		reverse_proxy {UPSTREAM}
	}
}
`

// explainGateway is a running explainSite with its admin endpoint, claim
// source, session service and Redis.
type explainGateway struct {
	*gateway
	admin       string
	src         *userService
	introspects atomic.Int64
	redis       *sessiontest.RedisProc
	logs        *caddyLog
	site        string // the Caddyfile, placeholders filled but {PORT}
}

// startExplainGateway starts explainSite; edits are old, new pairs
// applied to it first.
func startExplainGateway(t *testing.T, edits ...string) *explainGateway {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	g := &explainGateway{src: newUserService(t), redis: sessiontest.StartRedis(t), logs: newCaddyLog(t)}
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.introspects.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"sub":"opaque-user"}`))
	}))
	t.Cleanup(svc.Close)
	g.admin = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	g.site = strings.NewReplacer("{ADMIN}", g.admin, "{LOG}", g.logs.option(), "{INTROSPECT}", svc.URL, "{REDIS}", g.redis.URL(),
		"{SOURCE}", g.src.URL, "{UPSTREAM}", echoUpstream(t).URL).Replace(strings.NewReplacer(edits...).Replace(explainSite))
	g.gateway = startGateway(t, g.site)
	return g
}

// explainLive posts a request description to the admin route.
func (g *explainGateway) explainLive(d explain.Request) (*explain.Trace, string) {
	g.t.Helper()
	body, _ := json.Marshal(d)
	r := send(g.t, "http://"+g.admin, "POST", "/authgate/explain", string(body), jsonCT)
	wantStatus(g.t, r, http.StatusOK)
	var tr explain.Trace
	if err := json.Unmarshal([]byte(r.body), &tr); err != nil {
		g.t.Fatalf("decoding trace %s: %v", r.body, err)
	}
	return &tr, r.body
}

func wantOutcome(t *testing.T, tr *explain.Trace, outcome string, status int) {
	t.Helper()
	if tr.Decision.Outcome != outcome || tr.Decision.Status != status {
		t.Fatalf("decision = %+v, want %s %d", tr.Decision, outcome, status)
	}
}

func TestExplainLiveDecisions(t *testing.T) {
	g := startExplainGateway(t)
	tok := g.mint("alice", `team=["dev"]`)
	noToken := func(t *testing.T, raw string) {
		t.Helper()
		if strings.Contains(raw, tok) {
			t.Fatal("the trace holds the token")
		}
	}

	t.Run("allowed, with the identity headers", func(t *testing.T) {
		tr, raw := g.explainLive(explain.Request{URL: g.base + "/x?secret=s3cr3t", Token: tok})
		noToken(t, raw)
		wantOutcome(t, tr, explain.OutcomeAllowed, 0)
		if tr.Identity == nil || tr.Identity.Subject != "alice" || tr.Headers["X-Auth-User-Id"] != "alice" {
			t.Fatalf("identity %+v, headers %v", tr.Identity, tr.Headers)
		}
		if tr.Verifier == nil || tr.Verifier.Result != "accepted" || tr.Verifier.Name != "dev" || !strings.Contains(tr.Verifier.Why, "header Authorization Bearer") {
			t.Fatalf("verifier %+v", tr.Verifier)
		}
		var chosen []explain.SourceTrace
		for _, s := range tr.Sources {
			if s.Chosen {
				chosen = append(chosen, s)
			}
		}
		if len(tr.Sources) != 3 || len(chosen) != 1 || chosen[0].Source != "header Authorization Bearer" ||
			chosen[0].Length != len(tok) || len(chosen[0].SHA256) != 12 || chosen[0].JWT == nil || chosen[0].JWT.Iss != "authgate-dev" {
			t.Fatalf("sources %+v", tr.Sources)
		}
		if strings.Contains(raw, "s3cr3t") {
			t.Fatal("the trace holds the URL's query")
		}
	})
	t.Run("401 without a credential, and for a malformed one", func(t *testing.T) {
		tr, _ := g.explainLive(explain.Request{URL: g.base + "/x"})
		wantOutcome(t, tr, explain.OutcomeUnauthorized, http.StatusUnauthorized)
		if tr.Decision.Reason != "missing_credential" || !strings.Contains(string(tr.Decision.Body), `"reason":"missing_credential"`) {
			t.Fatalf("decision %+v", tr.Decision)
		}
		tr, raw := g.explainLive(explain.Request{URL: g.base + "/x", Token: "not-a-token"})
		wantOutcome(t, tr, explain.OutcomeUnauthorized, http.StatusUnauthorized)
		if strings.Contains(raw, "not-a-token") {
			t.Fatal("the trace holds the credential")
		}
	})
	t.Run("403 names the failed validator and the value it saw", func(t *testing.T) {
		tr, raw := g.explainLive(explain.Request{URL: g.base + "/staff/x", Token: tok})
		noToken(t, raw)
		wantOutcome(t, tr, explain.OutcomeForbidden, http.StatusForbidden)
		if len(tr.Validators) != 1 || tr.Validators[0].ID != "team" || tr.Validators[0].Result != "failed" || tr.Validators[0].Mode != "enforce" {
			t.Fatalf("validators %+v", tr.Validators)
		}
		if v, _ := json.Marshal(tr.Validators[0].Value); string(v) != `["dev"]` {
			t.Fatalf("value seen %s", v)
		}
		if !strings.Contains(string(tr.Decision.Body), `"claimValidationErrors"`) || tr.Headers != nil {
			t.Fatalf("decision %+v headers %v", tr.Decision, tr.Headers)
		}
	})
	t.Run("a browser navigation is redirected to login_url", func(t *testing.T) {
		tr, _ := g.explainLive(explain.Request{URL: g.base + "/app/page", Headers: []string{"Accept: text/html", "Sec-Fetch-Mode: navigate"}})
		wantOutcome(t, tr, explain.OutcomeRedirected, http.StatusFound)
		if !strings.HasPrefix(tr.Decision.Location, "https://login.example.com/?redirect_uri=") {
			t.Fatalf("location %q", tr.Decision.Location)
		}
	})
	t.Run("a claim refreshed on every request is fetched only with fetch", func(t *testing.T) {
		g.src.setRoles("root", "admin")
		root := g.mint("root")
		tr, _ := g.explainLive(explain.Request{URL: g.base + "/admin/x", Token: root})
		wantOutcome(t, tr, explain.OutcomeUndetermined, 0)
		if len(tr.Claims) != 1 || tr.Claims[0].State != "would_fetch" || tr.Validators[0].Result != "undetermined" {
			t.Fatalf("claims %+v validators %+v", tr.Claims, tr.Validators)
		}
		if n := g.src.callsFor("roles", "root"); n != 0 {
			t.Fatalf("claim source called %d times without fetch", n)
		}
		tr, _ = g.explainLive(explain.Request{URL: g.base + "/admin/x", Token: root, Fetch: true})
		wantOutcome(t, tr, explain.OutcomeAllowed, 0)
		if tr.Claims[0].State != "fetched" || tr.Headers["X-Auth-Roles"] != "admin" {
			t.Fatalf("claims %+v headers %v", tr.Claims, tr.Headers)
		}
		if n := g.src.callsFor("roles", "root"); n != 1 {
			t.Fatalf("claim source called %d times with fetch, want 1", n)
		}
	})
	t.Run("an introspected credential is undetermined without fetch", func(t *testing.T) {
		d := explain.Request{URL: g.base + "/opaque/x", Headers: []string{"X-Session-Token: opaque-secret-1"}}
		tr, raw := g.explainLive(d)
		wantOutcome(t, tr, explain.OutcomeUndetermined, 0)
		if g.introspects.Load() != 0 || strings.Contains(raw, "opaque-secret-1") {
			t.Fatalf("%d introspection calls; trace %s", g.introspects.Load(), raw)
		}
		d.Fetch = true
		tr, _ = g.explainLive(d)
		wantOutcome(t, tr, explain.OutcomeAllowed, 0)
		if tr.Identity.Subject != "st:opaque-user" || tr.Verifier.Name != "st" || g.introspects.Load() != 1 {
			t.Fatalf("identity %+v verifier %+v calls %d", tr.Identity, tr.Verifier, g.introspects.Load())
		}
	})
	t.Run("nothing explained reaches the logs", func(t *testing.T) {
		text := g.logs.text()
		if !strings.Contains(text, `"uri":"/authgate/explain"`) {
			t.Fatal("the log has no line of the explain calls: it cannot show what they log")
		}
		for _, secret := range []string{tok, "not-a-token", "opaque-secret-1", "s3cr3t"} {
			if strings.Contains(text, secret) {
				t.Errorf("a log line holds %q", secret)
			}
		}
	})
	t.Run("the admin route refuses what other admin calls refuse", func(t *testing.T) {
		admin := "http://" + g.admin
		wantStatus(t, send(t, admin, "GET", "/authgate/explain", ""), http.StatusMethodNotAllowed)
		wantStatus(t, send(t, admin, "POST", "/authgate/explain", `{"url":"`+g.base+`/x"}`), http.StatusUnsupportedMediaType)
		wantStatus(t, send(t, admin, "POST", "/authgate/explain", `{"url":"`+g.base+`/x"}`, jsonCT, "Origin: https://evil.example"), http.StatusForbidden)
		wantStatus(t, send(t, admin, "POST", "/authgate/explain", `{"url":"/relative"}`, jsonCT), http.StatusBadRequest)
		wantStatus(t, send(t, admin, "POST", "/authgate/explain", `{"url":"http://127.0.0.1:1/x"}`, jsonCT), http.StatusBadRequest)
		// A page's DNS-rebound name is not the admin address.
		wantStatus(t, send(t, admin, "POST", "/authgate/explain", `{"url":"`+g.base+`/x"}`, jsonCT, "Host: evil.example"), http.StatusForbidden)
		huge := `{"url":"` + g.base + `/x","headers":["X: ` + strings.Repeat("a", 2<<20) + `"]}`
		wantStatus(t, send(t, admin, "POST", "/authgate/explain", huge, jsonCT), http.StatusBadRequest)
	})
	t.Run("routes without authgate and handlers not simulated", func(t *testing.T) {
		tr, _ := g.explainLive(explain.Request{URL: g.base + "/public/x"})
		if tr.Decision.Outcome != explain.OutcomeNotProtected || !strings.Contains(tr.Decision.Why, "static_response") {
			t.Fatalf("decision %+v", tr.Decision)
		}
		tr, _ = g.explainLive(explain.Request{URL: g.base + "/rw/x", Token: tok})
		wantOutcome(t, tr, explain.OutcomeAllowed, 0)
		if tr.Route == nil || len(tr.Route.NotSimulated) != 1 || tr.Route.NotSimulated[0] != "http.handlers.rewrite" {
			t.Fatalf("route %+v", tr.Route)
		}
	})
}

// TestExplainChangesNothing: explaining a session's request leaves the
// Redis store byte for byte as it was (no touch, no claim write-back),
// while the same request for real does record the use.
func TestExplainChangesNothing(t *testing.T) {
	g := startExplainGateway(t)
	r := send(t, "http://"+g.admin, "POST", "/authgate/sessions", `{"user_id":"bob"}`, jsonCT)
	wantStatus(t, r, http.StatusCreated)
	var created struct {
		Token string `json:"session_token"`
		ID    string `json:"session_id"`
	}
	if err := jsonUnmarshal(r.body, &created); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1200 * time.Millisecond) // past the 1 s touch interval
	before := redisSnapshot(t, g.redis.URL())
	d := explain.Request{URL: g.base + "/admin/x", Cookies: []string{sessionCookieName + "=" + created.Token}, Fetch: true}
	tr, raw := g.explainLive(d)
	wantOutcome(t, tr, explain.OutcomeForbidden, http.StatusForbidden) // bob's roles are ["user"]
	if tr.Identity.SessionID != created.ID || strings.Contains(raw, created.Token) {
		t.Fatalf("identity %+v; trace holds the token: %v", tr.Identity, strings.Contains(raw, created.Token))
	}
	d.URL = g.base + "/x"
	if tr, _ := g.explainLive(d); tr.Decision.Outcome != explain.OutcomeAllowed {
		t.Fatalf("decision %+v", tr.Decision)
	}
	if after := redisSnapshot(t, g.redis.URL()); after != before {
		t.Fatalf("explain changed the store:\nbefore %s\nafter  %s", before, after)
	}
	wantStatus(t, g.do("GET", "/x", "Cookie: "+sessionCookieName+"="+created.Token), http.StatusOK)
	if after := redisSnapshot(t, g.redis.URL()); after == before {
		t.Fatal("a real request left the store unchanged: the snapshot cannot see a touch")
	}
}

// redisSnapshot is every key of the Redis at url with its DUMP, sorted.
func redisSnapshot(t *testing.T, url string) string {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		dump, err := rdb.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%x;", k, dump)
	}
	return b.String()
}

// The built binary's exit status is the decision's: 0 allowed, 1 refused,
// 2 undetermined (and for a request it cannot explain); --json prints the
// trace alone on stdout.
func TestExplainCommandExitStatus(t *testing.T) {
	g := startExplainGateway(t)
	bin := builtCaddy(t)
	tok := g.mint("alice", `team=["dev"]`)
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"allowed", []string{"--url", g.base + "/x", "--token", tok}, 0},
		{"forbidden", []string{"--url", g.base + "/staff/x", "--token", tok}, 1},
		{"unauthorized", []string{"--url", g.base + "/x"}, 1},
		{"a claim that would be fetched", []string{"--url", g.base + "/admin/x", "--token", tok}, 2},
		{"a named check not allowed", []string{"--url", g.base + "/x", "--token", tok, "--check", "ops_team"}, 1},
		{"a named check allowed", []string{"--url", g.base + "/staff/x", "--token", g.mint("olga", `team=["ops"]`), "--check", "ops_team"}, 0},
		{"no server on the port", []string{"--url", "http://127.0.0.1:1/x"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, append([]string{"authgate", "explain", "--address", g.admin, "--json"}, tc.args...)...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.want {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, tc.want, stdout.String(), stderr.String())
			}
			if tc.want < 2 && !json.Valid(stdout.Bytes()) {
				t.Fatalf("stdout is not the JSON trace: %s", stdout.String())
			}
			if strings.Contains(stdout.String()+stderr.String(), tok) {
				t.Fatal("the token was printed")
			}
		})
	}
}

// TestExplainOfGatewayEndpointsRunsNone: describing the exchange, logout
// and session endpoints with live credentials runs none of them: no
// session is made or revoked, the store is unchanged, the token is not
// spent, and the answer is undetermined.
func TestExplainOfGatewayEndpointsRunsNone(t *testing.T) {
	g := startExplainGateway(t)
	tok := sesDevToken(t, g.gateway, map[string]any{"sub": "eve", "iat": time.Now().Unix(), "jti": "explain-endpoints"})
	made := send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+sesDevToken(t, g.gateway, map[string]any{"sub": "eve", "iat": time.Now().Unix(), "jti": "explain-endpoints-2"}))
	wantStatus(t, made, http.StatusCreated)
	cookie := sessionCookieName + "=" + sesCookie(t, made).Value
	before := redisSnapshot(t, g.redis.URL())
	for _, d := range []explain.Request{
		{Method: "POST", URL: g.base + "/.authgate/session", Token: tok, Headers: []string{"Content-Type: application/json"}},
		{Method: "POST", URL: g.base + "/.authgate/logout", Cookies: []string{cookie}},
		{Method: "GET", URL: g.base + "/.authgate/logout", Cookies: []string{cookie}},
		{Method: "GET", URL: g.base + "/.authgate/session", Cookies: []string{cookie}},
	} {
		tr, raw := g.explainLive(d)
		if tr.Decision.Outcome != explain.OutcomeUndetermined || strings.Contains(raw, tok) {
			t.Errorf("%s %s: %s", d.Method, d.URL, raw)
		}
	}
	if after := redisSnapshot(t, g.redis.URL()); after != before {
		t.Errorf("explaining the endpoints changed the store")
	}
	wantStatus(t, send(t, g.base, "GET", "/x", "", "Cookie: "+cookie), http.StatusOK)
	// The token was never exchanged: it still can be, once.
	wantStatus(t, send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+tok), http.StatusCreated)
}
