package caddymodule

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/authgate/authgate/explain"
)

// Soft-fail (issue 15, item 5): `on_failure ID pass` lets a request through
// when only validators in pass mode fail, with X-Auth-Claim-Errors upstream
// and outcome soft_denied; never for a 401 or a 503, never when an
// enforced validator fails, and never with a client's own
// X-Auth-Claim-Errors.

// softSite has a route with one enforced validator (roles) and two in pass
// mode (mfa, plan), a route putting the global email_verified in pass
// mode, a route whose pass-mode validator reads a claim source that is
// down, and the soft route again in front of an upstream that reports
// trailers.
const softSite = `{
	admin 127.0.0.1:{ADMIN}
	storage file_system {STORAGE}
	metrics
	{LOG}
	authgate {
		dev
		require email_verified is_true
		claim groups {
			fetch http://127.0.0.1:9/users/{sub}/groups
			path groups
			max_age 0
			timeout 1s
		}
	}
}
http://127.0.0.1:{PORT} {
	log {
		output file {ACCESS} {
			roll_disabled
		}
		format json
	}
	handle /soft/* {
		authgate {
			require roles includes admin
			require mfa is_true
			require plan one_of pro team
			on_failure mfa pass
			on_failure plan pass
		}
		reverse_proxy {UPSTREAM}
	}
	handle /trail/* {
		authgate {
			require mfa is_true
			on_failure mfa pass
		}
		reverse_proxy {TRAILER_UPSTREAM}
	}
	handle /global/* {
		authgate {
			on_failure email_verified pass
		}
		reverse_proxy {UPSTREAM}
	}
	handle /sourced/* {
		authgate {
			require groups includes staff id staff
			on_failure staff pass
		}
		reverse_proxy {UPSTREAM}
	}
}
`

type softGateway struct {
	*gateway
	logs   *caddyLog
	access string
	admin  string // the admin endpoint's /metrics URL
}

func startSoftGateway(t *testing.T) *softGateway {
	t.Helper()
	logs := newCaddyLog(t)
	access := filepath.Join(t.TempDir(), "access.log")
	adminPort := freePort(t)
	site := strings.NewReplacer("{LOG}", logs.option(), "{ACCESS}", access, "{ADMIN}", fmt.Sprint(adminPort),
		"{UPSTREAM}", echoUpstream(t).URL, "{TRAILER_UPSTREAM}", trailerUpstream(t).URL).Replace(softSite)
	g := startGateway(t, site)
	return &softGateway{gateway: g, logs: logs, access: access, admin: fmt.Sprintf("http://127.0.0.1:%d/metrics", adminPort)}
}

// bearer is an Authorization line with a dev token for sub; email_verified
// is true unless claims set it.
func (g *softGateway) bearer(sub string, claims ...string) string {
	g.t.Helper()
	if !slices.ContainsFunc(claims, func(c string) bool { return strings.HasPrefix(c, "email_verified=") }) {
		claims = append(claims, "email_verified=true")
	}
	return "Authorization: Bearer " + g.mint(sub, claims...)
}

// claimErrors decodes the X-Auth-Claim-Errors the upstream got; it fails
// unless there is exactly one.
func claimErrors(t *testing.T, r response) []claimFailure {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	if r.upstream == nil {
		t.Fatal("the request did not reach the upstream")
	}
	values := r.upstream.Values("X-Auth-Claim-Errors")
	if len(values) != 1 {
		t.Fatalf("upstream X-Auth-Claim-Errors = %q, want exactly one", values)
	}
	var fs []claimFailure
	if err := json.Unmarshal([]byte(values[0]), &fs); err != nil {
		t.Fatalf("X-Auth-Claim-Errors %q is not the JSON list: %v", values[0], err)
	}
	return fs
}

// wantNoClaimErrors fails when the upstream got X-Auth-Claim-Errors in any
// spelling.
func wantNoClaimErrors(t *testing.T, r response) {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	for name, values := range r.upstream {
		if foldHeaderName(name) == "x-auth-claim-errors" {
			t.Errorf("upstream got %s: %q", name, values)
		}
	}
}

func TestSoftFailPassesWithTheClaimErrorsHeader(t *testing.T) {
	g := startSoftGateway(t)
	admin := []string{`roles=["admin"]`}

	t.Run("only pass-mode validators fail: 200 upstream with their ids and reasons", func(t *testing.T) {
		r := g.do("GET", "/soft/a", g.bearer("alice", append(admin, "mfa=false", `plan="free"`)...))
		fs := claimErrors(t, r)
		if len(fs) != 2 || fs[0].ID != "mfa" || fs[1].ID != "plan" {
			t.Fatalf("claim errors %+v, want mfa then plan", fs)
		}
		if fs[0].Reason["message"] != "wrong value" || fs[0].Reason["expectedValue"] != true || fs[0].Reason["actualValue"] != false {
			t.Errorf("mfa reason %v, want the 403 body's", fs[0].Reason)
		}
		if fs[1].Reason["message"] != "wrong value" || fmt.Sprint(fs[1].Reason["expectedToBeOneOf"]) != "[pro team]" {
			t.Errorf("plan reason %v, want the 403 body's", fs[1].Reason)
		}
		if got := r.upstream.Get("X-Auth-User-Id"); got != "alice" {
			t.Errorf("upstream X-Auth-User-Id = %q, want the identity forwarded as for an allowed request", got)
		}
	})
	t.Run("a missing claim reads value does not exist", func(t *testing.T) {
		fs := claimErrors(t, g.do("GET", "/soft/b", g.bearer("alice", append(admin, `plan="pro"`)...)))
		if len(fs) != 1 || fs[0].ID != "mfa" || fs[0].Reason["message"] != "value does not exist" {
			t.Fatalf("claim errors %+v, want mfa: value does not exist", fs)
		}
	})
	t.Run("nothing fails: no header", func(t *testing.T) {
		wantNoClaimErrors(t, g.do("GET", "/soft/c", g.bearer("alice", append(admin, "mfa=true", `plan="pro"`)...)))
	})
	t.Run("an enforced failure with pass-mode failures is the 403 listing them all", func(t *testing.T) {
		r := g.do("GET", "/soft/d", g.bearer("alice", `roles=["user"]`, "mfa=false"))
		wantFailedIDs(t, r, "roles", "mfa", "plan")
	})
	t.Run("an enforced failure alone is the 403", func(t *testing.T) {
		wantFailedIDs(t, g.do("GET", "/soft/e", g.bearer("alice", `roles=["user"]`, "mfa=true", `plan="pro"`)), "roles")
	})
	t.Run("a global validator in pass mode on one route", func(t *testing.T) {
		fs := claimErrors(t, g.do("GET", "/global/a", g.bearer("bob", "email_verified=false")))
		if len(fs) != 1 || fs[0].ID != "email_verified" {
			t.Fatalf("claim errors %+v, want email_verified", fs)
		}
		// The same validator is enforced on every other route.
		wantFailedIDs(t, g.do("GET", "/soft/f", g.bearer("bob", append(admin, "email_verified=false", "mfa=true", `plan="pro"`)...)),
			"email_verified")
	})
}

// A missing or refused credential is a 401 and a claim source that is down
// a 503, on a route whose every validator is in pass mode: pass mode never
// lets those through.
func TestSoftFailNeverPassesA401OrA503(t *testing.T) {
	g := startSoftGateway(t)
	for _, path := range []string{"/trail/x", "/global/x", "/sourced/x"} {
		r := g.do("GET", path)
		wantReason(t, r, http.StatusUnauthorized, "missing_credential")
		r = g.do("GET", path, "Authorization: Bearer not-a.jwt-at.all")
		wantReason(t, r, http.StatusUnauthorized, "malformed")
		if r.upstream != nil {
			t.Errorf("%s: a 401 reached the upstream", path)
		}
	}
	r := g.do("GET", "/sourced/x", g.bearer("carol", `groups=["staff"]`))
	wantReason(t, r, http.StatusServiceUnavailable, "claim_source_unavailable")
	if r.upstream != nil || r.header.Get("Retry-After") == "" {
		t.Errorf("a claim source down: upstream reached %v, Retry-After %q", r.upstream != nil, r.header.Get("Retry-After"))
	}
}

// A client's own X-Auth-Claim-Errors, in any spelling, repeated, nominated
// by Connection or sent as a trailer, never reaches the upstream: an app
// must be able to trust that the header is the gateway's.
func TestClientClaimErrorsNeverReachTheUpstream(t *testing.T) {
	g := startSoftGateway(t)
	forged := []string{
		"X-Auth-Claim-Errors: []", "x-auth-claim-errors: []", "X-AUTH-CLAIM-ERRORS: []",
		"X_Auth_Claim_Errors: []", "X.Auth.Claim.Errors: []", `X-Auth-Claim-Errors: [{"id":"x"}]`,
	}
	passing := append([]string{g.bearer("dave", `roles=["admin"]`, "mfa=true", `plan="pro"`)}, forged...)

	t.Run("on a request that passes", func(t *testing.T) {
		wantNoClaimErrors(t, g.do("GET", "/soft/p", passing...))
	})
	t.Run("on a request that soft-fails, only the gateway's value", func(t *testing.T) {
		r := g.do("GET", "/soft/q", append([]string{g.bearer("dave", `roles=["admin"]`, "mfa=false", `plan="pro"`)}, forged...)...)
		if fs := claimErrors(t, r); len(fs) != 1 || fs[0].ID != "mfa" {
			t.Fatalf("claim errors %+v, want the gateway's [mfa]", fs)
		}
		for name := range r.upstream {
			if f := foldHeaderName(name); f == "x-auth-claim-errors" && name != "X-Auth-Claim-Errors" {
				t.Errorf("upstream got the forged spelling %s", name)
			}
		}
	})
	t.Run("Connection cannot make the proxy drop the gateway's value", func(t *testing.T) {
		r := g.do("GET", "/soft/r", g.bearer("dave", `roles=["admin"]`, "mfa=false", `plan="pro"`),
			"Connection: X-Auth-Claim-Errors")
		if fs := claimErrors(t, r); len(fs) != 1 {
			t.Fatalf("claim errors %+v", fs)
		}
	})
	token := strings.TrimPrefix(g.bearer("dave", "mfa=false"), "Authorization: ")
	t.Run("an undeclared trailer is scrubbed", func(t *testing.T) {
		status, echo := g.rawChunkedPath("/trail/t", []string{"Authorization: " + token},
			[]string{"X-Auth-Claim-Errors: []", "x_auth_claim_errors: []"})
		if status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
		wantNoForgedTrailer(t, echo)
		if got := echo.Header.Values("X-Auth-Claim-Errors"); len(got) != 1 || !strings.Contains(got[0], `"id":"mfa"`) {
			t.Errorf("upstream X-Auth-Claim-Errors = %q, want the gateway's only", got)
		}
	})
	t.Run("a declared trailer is refused", func(t *testing.T) {
		status, _ := g.rawChunkedPath("/trail/u", []string{"Authorization: " + token, "Trailer: X-Auth-Claim-Errors"},
			[]string{"X-Auth-Claim-Errors: []"})
		if status != http.StatusBadRequest {
			t.Fatalf("status %d, want 400 protected_trailer", status)
		}
	})
}

// The access log says soft_denied with the failed ids, the metrics count
// outcome="soft_denied", and every start warns of the pass-mode validators.
func TestSoftFailIsLoggedCountedAndWarned(t *testing.T) {
	g := startSoftGateway(t)
	series := `authgate_requests_total{outcome="soft_denied",reason="policy_denied",verifier="dev"}`
	before := scrape(t, g.admin).values[series]

	wantStatus(t, g.do("GET", "/soft/logged", g.bearer("erin", `roles=["admin"]`, "mfa=false")), http.StatusOK)
	e := accessEntry(t, g.access, "/soft/logged")
	if e.Status != http.StatusOK || e.UserID != "erin" || e.Auth == nil {
		t.Fatalf("entry %+v: want status 200, user erin and an auth object", e)
	}
	if e.Auth.Outcome != "soft_denied" || e.Auth.Reason != "policy_denied" || !slices.Equal(e.Auth.Failed, []string{"mfa", "plan"}) {
		t.Errorf("auth %+v: want soft_denied, policy_denied, failed [mfa plan]", *e.Auth)
	}
	if got := scrape(t, g.admin).values[series] - before; got != 1 {
		t.Errorf("%s went up by %v, want 1", series, got)
	}

	warnings := g.logs.lines("validators in pass mode")
	want := []string{`"route":"Caddyfile:`, // the first pass line of the route
		`"validators":["mfa","plan"]`, `"validators":["mfa"]`, `"validators":["email_verified"]`, `"validators":["staff"]`}
	text := strings.Join(warnings, "\n")
	for _, fragment := range want {
		if !strings.Contains(text, fragment) {
			t.Errorf("start-up warnings lack %s:\n%s", fragment, text)
		}
	}
	if len(warnings) != 4 || !strings.Contains(warnings[0], `"level":"warn"`) {
		t.Errorf("want one warning per route with pass mode (4), got %d:\n%s", len(warnings), text)
	}
	g.reload()
	if got := len(g.logs.lines("validators in pass mode")); got != 8 {
		t.Errorf("after a reload: %d warnings, want them again (8)", got)
	}
}

// A JSON config is checked at load as the Caddyfile is at adapt time, and
// no header mapping may forge X-Auth-Claim-Errors.
func TestSoftFailConfigMistakesAreRefusedAtLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("loads Caddy configs: skipped with -short")
	}
	jsonConfig := func(onFailure string) []byte {
		return []byte(fmt.Sprintf(`{"admin":{"disabled":true},"apps":{"authgate":{"dev":true},"http":{"servers":{"s":{
			"listen":["127.0.0.1:%d"],"routes":[{"handle":[{"handler":"authgate",
			"require":[{"claim":"mfa","op":"is_true"}],"on_failure":[%s]}]}]}}}}}`, freePort(t), onFailure))
	}
	wantLoadError(t, jsonConfig(`{"id":"mfa","pass":true,"redirect":"/x"}`), "on_failure mfa: give either redirect or pass")
	wantLoadError(t, jsonConfig(`{"id":"mfa"}`), `on_failure mfa: redirect "" is not a same-origin path`)
	wantLoadError(t, jsonConfig(`{"id":"mfaa","pass":true}`), `on_failure: unknown validator id "mfaa"`)
	wantLoadError(t, jsonConfig(`{"id":"mfa","pass":true},{"id":"mfa","pass":true}`), `validator "mfa" in pass mode: duplicate validator id`)
	wantLoadError(t, jsonConfig(`{"id":"mfa","pass":true},{"id":"mfa","redirect":"/x"}`), "on_failure mfa given twice")
	loadMustFail(t, policySite("\t\theader X-Auth-Claim-Errors {claims.errors}", "\tauthgate\n\treverse_proxy {UPSTREAM}"),
		"header X-Auth-Claim-Errors is reserved")
}

// The pass-mode example of docs/policies.md and its table, through a real
// Caddy: each row's status and 403 failures, and the ids the upstream got
// in X-Auth-Claim-Errors.
func TestDocsPassModeExampleBehavesAsDocumented(t *testing.T) {
	up := echoUpstream(t)
	g := startGateway(t, runnableExample(t, "policy-pass", up.URL))
	for _, row := range readmeTable(t, "expect", "policy-pass") {
		req := parseExpectRow(t, row)
		t.Run(req.String(), func(t *testing.T) {
			req.check(t, g, "")
			if req.status != http.StatusOK {
				return
			}
			var hdr []string
			if req.token {
				hdr = append(hdr, "Authorization: Bearer "+g.mint("alice", req.claims...))
			}
			r := g.do(req.method, req.path, hdr...)
			want := spans(row["upstream `X-Auth-Claim-Errors`"])
			if len(want) == 0 {
				wantNoClaimErrors(t, r)
				return
			}
			var got []string
			for _, f := range claimErrors(t, r) {
				got = append(got, f.ID)
			}
			if !slices.Equal(got, want) {
				t.Errorf("X-Auth-Claim-Errors ids %q, want %q", got, want)
			}
		})
	}
}

// `caddy authgate explain` predicts a soft denial: the validators' modes,
// outcome soft_denied (exit status 0) and the header the upstream gets.
func TestExplainPredictsSoftDenials(t *testing.T) {
	g := startSoftGateway(t)
	adminBase := strings.TrimSuffix(g.admin, "/metrics")
	explainAt := func(path string, claims ...string) *explain.Trace {
		t.Helper()
		tok := strings.TrimPrefix(g.bearer("frank", claims...), "Authorization: Bearer ")
		body, _ := json.Marshal(explain.Request{URL: g.base + path, Token: tok})
		r := send(t, adminBase, "POST", "/authgate/explain", string(body), jsonCT)
		wantStatus(t, r, http.StatusOK)
		var tr explain.Trace
		if err := json.Unmarshal([]byte(r.body), &tr); err != nil {
			t.Fatalf("decoding trace %s: %v", r.body, err)
		}
		return &tr
	}
	tr := explainAt("/soft/x", `roles=["admin"]`, "mfa=false", `plan="pro"`)
	if tr.Decision.Outcome != explain.OutcomeSoftDenied || tr.ExitCode() != 0 {
		t.Fatalf("decision %+v exit %d, want soft_denied and 0", tr.Decision, tr.ExitCode())
	}
	var modes []string
	for _, v := range tr.Validators {
		modes = append(modes, v.ID+":"+v.Mode)
	}
	if want := []string{"email_verified:enforce", "roles:enforce", "mfa:pass", "plan:pass"}; !slices.Equal(modes, want) {
		t.Errorf("validators %q, want %q", modes, want)
	}
	if got := tr.Headers["X-Auth-Claim-Errors"]; !strings.Contains(got, `"id":"mfa"`) || tr.Headers["X-Auth-User-Id"] != "frank" {
		t.Errorf("headers %v, want the identity and X-Auth-Claim-Errors for mfa", tr.Headers)
	}
	live := g.do("GET", "/soft/x", g.bearer("frank", `roles=["admin"]`, "mfa=false", `plan="pro"`))
	if got := live.upstream.Get("X-Auth-Claim-Errors"); got != tr.Headers["X-Auth-Claim-Errors"] {
		t.Errorf("the request's header %q differs from the explained %q", got, tr.Headers["X-Auth-Claim-Errors"])
	}
	tr = explainAt("/soft/y", `roles=["user"]`, "mfa=false", `plan="pro"`)
	if tr.Decision.Outcome != explain.OutcomeForbidden || tr.Decision.Status != http.StatusForbidden {
		t.Errorf("mixed failures: decision %+v, want forbidden 403", tr.Decision)
	}
}
