package caddymodule

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/authgate/authgate/explain"
)

// TestExplainCheckEndpoint: explain shows how the check endpoint would
// answer a named check or a permission, for a request to the endpoint or
// for questions asked with checks/permissions on any route: each
// question's validators with the values they saw, allowed true or false,
// and the exact 200 body; the caller is authenticated as the route does
// but answered as a script (401, never a login); no claim source is called
// without fetch.
func TestExplainCheckEndpoint(t *testing.T) {
	g := startExplainGateway(t)
	alice := g.mint("alice", `team=["dev"]`)

	t.Run("a request to the endpoint: a named check not allowed", func(t *testing.T) {
		tr, raw := g.explainLive(explain.Request{URL: g.base + "/.authgate/check?check=ops_team", Token: alice})
		wantOutcome(t, tr, explain.OutcomeNotAllowed, http.StatusOK)
		if len(tr.Checks) != 1 || tr.Checks[0].Check != "ops_team" || tr.Checks[0].Allowed == nil || *tr.Checks[0].Allowed {
			t.Fatalf("checks %s", raw)
		}
		v := tr.Checks[0].Validators
		if len(v) != 1 || v[0].ID != "team" || v[0].Result != "failed" || v[0].Value == nil {
			t.Fatalf("validators %+v", v)
		}
		real := g.do("GET", "/.authgate/check?check=ops_team", "Authorization: Bearer "+alice)
		if real.status != http.StatusOK || !jsonEqual(t, string(tr.Decision.Body), real.body) {
			t.Fatalf("explained body %s, the endpoint answers %d %s", tr.Decision.Body, real.status, real.body)
		}
		if tr.Validators != nil || strings.Contains(raw, alice) {
			t.Fatalf("route validators %+v, or the token in the trace", tr.Validators)
		}
		var text strings.Builder
		if err := tr.WriteText(&text); err != nil || !strings.Contains(text.String(), "check:      NOT ALLOWED  check ops_team") {
			t.Errorf("text:\n%s", text.String())
		}
	})
	t.Run("questions asked on a route: its own validators do not apply", func(t *testing.T) {
		olga := g.mint("olga", `team=["ops"]`)
		tr, _ := g.explainLive(explain.Request{URL: g.base + "/admin/x", Token: olga, Checks: []string{"ops_team"}, Permissions: []string{"blog:read"}})
		// A permission reads roles, which olga's token lacks: a question
		// would fetch them from their claim source first.
		wantOutcome(t, tr, explain.OutcomeUndetermined, 0)
		if len(tr.Checks) != 2 || !*tr.Checks[0].Allowed || tr.Checks[1].Permission != "blog:read" || tr.Checks[1].Allowed != nil {
			t.Fatalf("checks %+v", tr.Checks)
		}
		tr, _ = g.explainLive(explain.Request{URL: g.base + "/x", Token: olga, Checks: []string{"ops_team"}})
		wantOutcome(t, tr, explain.OutcomeAllowed, http.StatusOK)
		if string(tr.Decision.Body) != `{"allowed":true}` {
			t.Fatalf("body %s", tr.Decision.Body)
		}
	})
	t.Run("a claim refreshed on every question is fetched only with fetch", func(t *testing.T) {
		g.src.setRoles("root", "admin")
		root := g.mint("root")
		d := explain.Request{URL: g.base + "/x", Token: root, Checks: []string{"admin_roles"}}
		tr, _ := g.explainLive(d)
		wantOutcome(t, tr, explain.OutcomeUndetermined, 0)
		if c := tr.Checks[0]; c.Allowed != nil || len(c.Claims) != 1 || c.Claims[0].State != "would_fetch" {
			t.Fatalf("check %+v", c)
		}
		if n := g.src.callsFor("roles", "root"); n != 0 {
			t.Fatalf("claim source called %d times without fetch", n)
		}
		d.Fetch = true
		tr, _ = g.explainLive(d)
		wantOutcome(t, tr, explain.OutcomeAllowed, http.StatusOK)
		if n := g.src.callsFor("roles", "root"); n != 1 {
			t.Fatalf("claim source called %d times with fetch, want 1", n)
		}
	})
	t.Run("unknown checks, bad queries and POST batches", func(t *testing.T) {
		tr, _ := g.explainLive(explain.Request{URL: g.base + "/x", Token: alice, Checks: []string{"nope"}})
		wantOutcome(t, tr, explain.OutcomeBadRequest, http.StatusBadRequest)
		if tr.Decision.Reason != "unknown_check" {
			t.Fatalf("decision %+v", tr.Decision)
		}
		tr, _ = g.explainLive(explain.Request{URL: g.base + "/.authgate/check?check=ops_team&typo=1", Token: alice})
		wantOutcome(t, tr, explain.OutcomeBadRequest, http.StatusBadRequest)
		tr, _ = g.explainLive(explain.Request{Method: "POST", URL: g.base + "/.authgate/check", Token: alice})
		wantOutcome(t, tr, explain.OutcomeUndetermined, 0)
		tr, _ = g.explainLive(explain.Request{Method: "POST", URL: g.base + "/.authgate/check", Token: alice, Checks: []string{"ops_team"}})
		wantOutcome(t, tr, explain.OutcomeNotAllowed, http.StatusOK)
		if !strings.HasPrefix(string(tr.Decision.Body), `{"results":[{"allowed":false`) {
			t.Fatalf("batch body %s", tr.Decision.Body)
		}
	})
	t.Run("a browser without a credential gets the 401, not the route's login", func(t *testing.T) {
		tr, _ := g.explainLive(explain.Request{URL: g.base + "/app/page", Checks: []string{"ops_team"},
			Headers: []string{"Accept: text/html", "Sec-Fetch-Mode: navigate"}})
		wantOutcome(t, tr, explain.OutcomeUnauthorized, http.StatusUnauthorized)
	})
}

// jsonEqual reports whether a and b are the same JSON value.
func jsonEqual(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}
