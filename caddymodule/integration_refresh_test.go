package caddymodule

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier/verifiertest"
)

// Claim refresh stories (issue 4) through a real Caddy, against a real
// local claim source (userService).

// refreshSite is a dev-mode gateway with a second verifier ("partner") and
// two claim sources: roles (cached for an hour, no grace) and groups
// (every request, an hour of stale_if_error). /admin/ refetches roles on
// every request; / only when missing or stale; /grouped/ needs groups.
const refreshSite = `{
	admin off
	storage file_system {STORAGE}
	authgate {
		dev
		jwt partner {
			issuer partner
			audience any
			key_file {PARTNER_KEY}
			same_subjects dev
		}
		claim roles {
			fetch {SOURCE}/v1/users/{sub}/roles
			path roles
			max_age 1h
			timeout 1s
		}
		claim groups {
			fetch {SOURCE}/v1/users/{sub}/groups
			path groups
			max_age 0
			timeout 1s
			stale_if_error 1h
		}
		header X-Auth-User-Id {sub}
		header X-Auth-Roles {claims.roles}
		header X-Auth-Groups {claims.groups}
	}
}
http://127.0.0.1:{PORT} {
	handle /admin/* {
		authgate {
			require roles includes admin max_age 0
		}
		request_header X-Placeholder-Roles {http.auth.user.roles}
		reverse_proxy {UPSTREAM}
	}
	handle /grouped/* {
		authgate {
			require groups includes staff
		}
		reverse_proxy {UPSTREAM}
	}
	handle {
		authgate {
			require roles exists
		}
		reverse_proxy {UPSTREAM}
	}
}
`

// refreshGateway is a running refreshSite with its claim source and the
// partner verifier's signing key.
type refreshGateway struct {
	*gateway
	src     *userService
	partner *verifiertest.Key
}

func startRefreshGateway(t *testing.T) *refreshGateway {
	t.Helper()
	src := newUserService(t)
	partner := verifiertest.NewECKey("partner-1")
	keyPath := filepath.Join(t.TempDir(), "partner.pem")
	if err := os.WriteFile(keyPath, partner.PublicPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	site := strings.NewReplacer("{SOURCE}", src.URL, "{PARTNER_KEY}", keyPath,
		"{UPSTREAM}", echoUpstream(t).URL).Replace(refreshSite)
	return &refreshGateway{gateway: startGateway(t, site), src: src, partner: partner}
}

// get sends GET path with a dev token for sub carrying claims.
func (g *refreshGateway) get(path, sub string, claims ...string) response {
	g.t.Helper()
	return g.do("GET", path, "Authorization: Bearer "+g.mint(sub, claims...))
}

// partnerToken is a token of the partner verifier for sub.
func (g *refreshGateway) partnerToken(sub string) string {
	now := time.Now()
	// key_file keys have no kid, so the token carries none.
	return g.partner.MintHeader(map[string]any{"kid": nil},
		map[string]any{"iss": "partner", "sub": sub, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
}

// staleRoles is a roles claim in SuperTokens form fetched long ago.
func staleRoles(roles string) string { return `roles={"v":` + roles + `,"t":1000}` }

func wantUpstream(t *testing.T, r response, header, want string) {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	if got := r.upstream.Get(header); got != want {
		t.Fatalf("upstream %s = %q, want %q", header, got, want)
	}
}

func wantCalls(t *testing.T, src *userService, claim, sub string, want int) {
	t.Helper()
	if got := src.callsFor(claim, sub); got != want {
		t.Fatalf("%s fetched %d times for %q, want %d", claim, got, sub, want)
	}
}

func TestClaimRefreshFetchesCachesAndForwards(t *testing.T) {
	g := startRefreshGateway(t)
	g.src.setRoles("bob", "admin", "user")

	t.Run("a fresh claim in the token is used without a call", func(t *testing.T) {
		wantUpstream(t, g.get("/", "alice", `roles=["user"]`), "X-Auth-Roles", "user")
		wantCalls(t, g.src, "roles", "alice", 0)
	})
	t.Run("a missing claim is fetched and forwarded", func(t *testing.T) {
		wantUpstream(t, g.get("/", "bob"), "X-Auth-Roles", "admin,user")
		wantCalls(t, g.src, "roles", "bob", 1)
	})
	t.Run("a stale claim is replaced and then cached for max_age", func(t *testing.T) {
		g.src.setRoles("erin", "editor")
		for range 5 {
			wantUpstream(t, g.get("/", "erin", staleRoles(`["user"]`)), "X-Auth-Roles", "editor")
		}
		wantCalls(t, g.src, "roles", "erin", 1)
	})
	t.Run("50 concurrent requests for one subject make one call", func(t *testing.T) {
		token := "Authorization: Bearer " + g.mint("slowish-frank")
		statuses := concurrently(g.gateway, 50, "/", token)
		for i, s := range statuses {
			if s != http.StatusOK {
				t.Fatalf("request %d: status %d", i, s)
			}
		}
		wantCalls(t, g.src, "roles", "slowish-frank", 1)
	})
	t.Run("equal subjects of two verifiers never share a cached value", func(t *testing.T) {
		for range 3 {
			wantStatus(t, g.get("/", "gina"), http.StatusOK)
			wantStatus(t, g.do("GET", "/", "Authorization: Bearer "+g.partnerToken("gina")), http.StatusOK)
		}
		wantCalls(t, g.src, "roles", "gina", 2)
	})
	t.Run("max age 0 makes exactly one call per request", func(t *testing.T) {
		for range 4 {
			wantUpstream(t, g.get("/grouped/", "hal"), "X-Auth-Groups", "staff")
		}
		wantCalls(t, g.src, "groups", "hal", 4)
	})
}

func TestClaimRefreshPromotionAndDemotionReachTheUpstream(t *testing.T) {
	g := startRefreshGateway(t)
	token := "Authorization: Bearer " + g.mint("henry", `roles=["user"]`)
	steps := []struct {
		roles      []string
		wantStatus int
	}{
		{[]string{"user"}, http.StatusForbidden},
		{[]string{"user", "admin"}, http.StatusOK},
		{[]string{"user"}, http.StatusForbidden},
		{[]string{"admin"}, http.StatusOK},
	}
	for i, st := range steps {
		g.src.setRoles("henry", st.roles...)
		r := g.do("GET", "/admin/users", token)
		want := strings.Join(st.roles, ",")
		if st.wantStatus == http.StatusForbidden {
			fs := wantFailedIDs(t, r, "roles")
			if got := fmt.Sprint(fs[0].Reason["actualValue"]); got != fmt.Sprint(st.roles) {
				t.Fatalf("step %d: actualValue %s, want the refreshed %v", i, got, st.roles)
			}
			continue
		}
		wantUpstream(t, r, "X-Auth-Roles", want)
		wantUpstream(t, r, "X-Placeholder-Roles", want)
	}
	wantCalls(t, g.src, "roles", "henry", len(steps))
}

func TestClaimSourceFailuresFailClosed(t *testing.T) {
	g := startRefreshGateway(t)

	t.Run("a source that is down is a 503 with Retry-After", func(t *testing.T) {
		r := g.get("/", "down-judy")
		wantReason(t, r, http.StatusServiceUnavailable, "claim_source_unavailable")
		if r.header.Get("Retry-After") == "" || r.upstream != nil {
			t.Fatalf("Retry-After %q, upstream reached: %v", r.header.Get("Retry-After"), r.upstream != nil)
		}
	})
	t.Run("stale_if_error serves the last value while the source is down", func(t *testing.T) {
		wantUpstream(t, g.get("/grouped/", "ivan"), "X-Auth-Groups", "staff")
		g.src.setDown("ivan", true)
		wantUpstream(t, g.get("/grouped/", "ivan"), "X-Auth-Groups", "staff")
		wantCalls(t, g.src, "groups", "ivan", 2)
	})
	t.Run("without a grace a stale token value is not a fallback", func(t *testing.T) {
		g.src.setDown("kim", true)
		r := g.get("/", "kim", staleRoles(`["user"]`))
		wantReason(t, r, http.StatusServiceUnavailable, "claim_source_unavailable")
	})

	hostile := []struct {
		name string
		sub  string
		want int
	}{
		{"a source that never answers hits the timeout", "slow-1", http.StatusServiceUnavailable},
		{"a huge body is refused", "huge-1", http.StatusServiceUnavailable},
		{"a body dripping forever hits the timeout", "drip-1", http.StatusServiceUnavailable},
		{"a body that is not JSON is refused", "text-1", http.StatusServiceUnavailable},
		{"a value nested too deep is refused", "deep-1", http.StatusServiceUnavailable},
		{"a value of the wrong type fails the validator", "string-1", http.StatusForbidden},
	}
	for _, tc := range hostile {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := g.get("/admin/", tc.sub)
			wantStatus(t, r, tc.want)
			// Far above the source's 1 s timeout, so a slow machine is not a
			// hang; a hang would be the test's own timeout.
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("answered after %v with a 1s source timeout", took)
			}
		})
	}
	t.Run("the gateway still serves after all that", func(t *testing.T) {
		g.src.setRoles("leo", "admin")
		wantUpstream(t, g.get("/admin/", "leo"), "X-Auth-Roles", "admin")
	})
}

func TestClaimSourceURLsKeepTheirPrefix(t *testing.T) {
	g := startRefreshGateway(t)
	for _, sub := range []string{"a/b", "../../admin", "a?admin=1", "a#frag", "%2e%2e", "x%2Fy", "a b", "..;"} {
		t.Run(sub, func(t *testing.T) {
			wantStatus(t, g.get("/", sub), http.StatusOK)
			wantCalls(t, g.src, "roles", sub, 1)
			path := g.src.lastPath()
			rest, ok := strings.CutPrefix(path, "/v1/users/")
			if !ok || strings.Count(rest, "/") != 1 || !strings.HasSuffix(rest, "/roles") {
				t.Fatalf("subject %q reached the source as %q", sub, path)
			}
		})
	}
	for _, sub := range []string{"..", "."} {
		t.Run("dot segment "+sub, func(t *testing.T) {
			before := g.src.requests()
			wantReason(t, g.get("/", sub), http.StatusServiceUnavailable, "claim_source_unavailable")
			if g.src.requests() != before {
				t.Fatalf("subject %q reached the source", sub)
			}
		})
	}
}

// Claim refreshes are counted in the process metrics: calls of the sources
// by result, and how each refresh was answered.
func TestClaimRefreshCountersArePublished(t *testing.T) {
	g := startRefreshGateway(t)
	before := claimCounterValues(t)
	g.get("/", "mia")              // fetch
	g.get("/", "mia")              // fetch: the token still has no roles, but the cache answers
	g.get("/", "down-mia")         // error
	g.get("/grouped/", "nora")     // fetch
	g.src.setDown("nora", true)    //
	g.get("/grouped/", "nora")     // error, then a stale serve
	after := claimCounterValues(t) //
	for name, want := range map[string]float64{"fetches": 4, "cache_hits": 1, "errors": 2, "stale_serves": 1} {
		if got := after[name] - before[name]; got != want {
			t.Errorf("%s went up by %v, want %v", name, got, want)
		}
	}
	for _, series := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"authgate_claim_fetches_total", map[string]string{"claim": "roles", "result": "ok"}, 1},
		{"authgate_claim_fetches_total", map[string]string{"claim": "groups", "result": "error"}, 1},
		{"authgate_claim_fetch_duration_seconds", map[string]string{"claim": "groups"}, 2},
	} {
		if got := after[series.name+fmt.Sprint(series.labels)] - before[series.name+fmt.Sprint(series.labels)]; got != series.want {
			t.Errorf("%s%v went up by %v, want %v", series.name, series.labels, got, series.want)
		}
	}
}

func TestBadClaimSourcesAreRefusedAtLoad(t *testing.T) {
	tests := []struct {
		name, claim, want string
	}{
		{"a registered claim", "claim sub {\n\t\t\tfetch https://u.internal/{sub}\n\t\t}", `cannot refresh "sub"`},
		{"a placeholder in the host", "claim roles {\n\t\t\tfetch https://{sub}.u.internal/roles\n\t\t}", "placeholders are only allowed"},
		{"an unknown placeholder", "claim roles {\n\t\t\tfetch https://u.internal/{user}\n\t\t}", "unknown placeholder"},
		{"a scheme other than http", "claim roles {\n\t\t\tfetch ftp://u.internal/{sub}\n\t\t}", "http:// or https://"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			loadMustFail(t, policySite("\t\t"+tc.claim, "\tauthgate\n\treverse_proxy {UPSTREAM}"), tc.want)
		})
	}
}

// concurrently sends n GET requests at once and returns their statuses.
func concurrently(g *gateway, n int, path string, headers ...string) []int {
	statuses := make([]int, n)
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for i := range n {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", g.base+path, nil)
			for _, h := range headers {
				name, value, _ := strings.Cut(h, ":")
				req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
			}
			resp, err := client.Do(req)
			if err != nil {
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	return statuses
}

// claimCounterValues reads the claim-source series of the process
// metrics: the four sums the refresh test checks, and a few series by
// their labels.
func claimCounterValues(t *testing.T) map[string]float64 {
	t.Helper()
	v := map[string]float64{
		"fetches":      metricSum(t, "authgate_claim_fetches_total", map[string]string{"result": "ok"}) + metricSum(t, "authgate_claim_fetches_total", map[string]string{"result": "error"}),
		"errors":       metricSum(t, "authgate_claim_fetches_total", map[string]string{"result": "error"}),
		"cache_hits":   metricSum(t, "authgate_claim_refreshes_total", map[string]string{"served": "cache"}),
		"stale_serves": metricSum(t, "authgate_claim_refreshes_total", map[string]string{"served": "stale"}),
	}
	for _, s := range []struct {
		name   string
		labels map[string]string
	}{
		{"authgate_claim_fetches_total", map[string]string{"claim": "roles", "result": "ok"}},
		{"authgate_claim_fetches_total", map[string]string{"claim": "groups", "result": "error"}},
		{"authgate_claim_fetch_duration_seconds", map[string]string{"claim": "groups"}},
	} {
		v[s.name+fmt.Sprint(s.labels)] = metricSum(t, s.name, s.labels)
	}
	return v
}

// refreshSessionSite is a dev-mode gateway with edge sessions and a roles
// claim source; /admin/ refetches roles on every request.
const refreshSessionSite = `{
	admin off
	storage file_system {STORAGE}
	authgate {
		dev
		session {
			store bolt {STORAGE}/sessions.db
			exchange dev
		}
		claim roles {
			fetch {SOURCE}/v1/users/{sub}/roles
			path roles
			max_age 1h
		}
	}
}
http://127.0.0.1:{PORT} {
	handle /admin/* {
		authgate {
			require roles includes admin max_age 0
		}
		reverse_proxy {UPSTREAM}
	}
	handle {
		authgate
		reverse_proxy {UPSTREAM}
	}
}
`

func TestRefreshedClaimsAreWrittenBackIntoSessions(t *testing.T) {
	src := newUserService(t)
	site := strings.NewReplacer("{SOURCE}", src.URL, "{UPSTREAM}", echoUpstream(t).URL).Replace(refreshSessionSite)
	g := startGateway(t, site)
	cookie := "Cookie: " + sessionCookieName + "=" + sesExchange(t, g, "olga", `roles=["user"]`)
	src.setRoles("olga", "admin")
	wantUpstream(t, send(t, g.base, "GET", "/admin/", "", cookie), "X-Auth-Roles", "admin")

	who := send(t, g.base, "GET", "/.authgate/session", "", cookie)
	wantStatus(t, who, http.StatusOK)
	var body struct {
		Claims map[string]any `json:"claims"`
	}
	if err := json.Unmarshal([]byte(who.body), &body); err != nil {
		t.Fatalf("whoami body %q: %v", who.body, err)
	}
	if got := fmt.Sprint(body.Claims["roles"]); !strings.Contains(got, "admin") {
		t.Fatalf("session roles after a refresh = %s; want the refreshed value written back", got)
	}
	// The session itself now carries the refreshed value: a route without
	// validators forwards it, with no call.
	calls := src.callsFor("roles", "olga")
	wantUpstream(t, send(t, g.base, "GET", "/", "", cookie), "X-Auth-Roles", "admin")
	wantCalls(t, src, "roles", "olga", calls)
}
