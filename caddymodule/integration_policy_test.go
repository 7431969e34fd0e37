package caddymodule

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/certmagic"
)

// Integration tests of claim policies (issue 3) through a real Caddy: global
// and route validators, skip_global, RBAC, the 403 body, on_failure
// redirects and their open-redirect guard, typing and claim paths. The
// README's examples and tables run in integration_policy_readme_test.go.

// policySite builds a dev-mode Caddyfile whose global authgate block holds
// the global lines and whose site block holds site. {UPSTREAM} stands for
// the upstream; {PORT} and {STORAGE} are filled in by startGateway.
func policySite(global, site string) string {
	return "{\n\tadmin off\n\tstorage file_system {STORAGE}\n\tauthgate {\n\t\tdev\n" +
		global + "\n\t}\n}\nhttp://127.0.0.1:{PORT} {\n" + site + "\n}\n"
}

// route is a handle block for path whose authgate block holds lines, in
// front of the upstream.
func route(path string, lines ...string) string {
	return "\thandle " + path + " {\n\t\tauthgate {\n\t\t\t" + strings.Join(lines, "\n\t\t\t") +
		"\n\t\t}\n\t\treverse_proxy {UPSTREAM}\n\t}\n"
}

// startPolicyGateway runs policySite(global, site) in front of an echo
// upstream.
func startPolicyGateway(t *testing.T, global, site string) *gateway {
	t.Helper()
	up := echoUpstream(t)
	return startGateway(t, strings.ReplaceAll(policySite(global, site), "{UPSTREAM}", up.URL))
}

// as sends GET path with a dev token for alice carrying claims.
func (g *gateway) as(path string, claims ...string) response {
	g.t.Helper()
	return g.do("GET", path, "Authorization: Bearer "+g.mint("alice", claims...))
}

// loadMustFail adapts and loads caddyfile ({PORT}, {STORAGE} and {UPSTREAM}
// filled in) and wants an error containing substring, from the adapter or
// from caddy.Load: a bad policy must never start serving.
func loadMustFail(t *testing.T, caddyfile, substring string) {
	t.Helper()
	caddyfile = strings.ReplaceAll(caddyfile, "{PORT}", strconv.Itoa(freePort(t)))
	caddyfile = strings.ReplaceAll(caddyfile, "{STORAGE}", t.TempDir())
	caddyfile = strings.ReplaceAll(caddyfile, "{UPSTREAM}", "http://127.0.0.1:9")
	cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(caddyfile), nil)
	if err == nil {
		err = caddy.Load(cfg, true)
		if err == nil {
			_ = caddy.Load([]byte(`{"admin":{"disabled":true}}`), true)
			t.Fatalf("config loaded; want an error containing %q\n%s", substring, caddyfile)
		}
	}
	if !strings.Contains(err.Error(), substring) {
		t.Fatalf("error = %v\nwant it to contain %q", err, substring)
	}
}

// claimFailure is one entry of a 403 body's claimValidationErrors.
type claimFailure struct {
	ID     string         `json:"id"`
	Reason map[string]any `json:"reason"`
}

// wantDenied checks that r is authgate's 403 and returns its failures.
func wantDenied(t *testing.T, r response) []claimFailure {
	t.Helper()
	wantStatus(t, r, http.StatusForbidden)
	for name, want := range map[string]string{
		"Content-Type":           "application/json",
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
		"WWW-Authenticate":       "",
	} {
		if got := r.header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if r.upstream != nil {
		t.Errorf("a denied request reached the upstream")
	}
	var body struct {
		Message string         `json:"message"`
		Errors  []claimFailure `json:"claimValidationErrors"`
	}
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatalf("403 body is not JSON: %q", r.body)
	}
	if body.Message != "invalid claim" || len(body.Errors) == 0 {
		t.Fatalf("403 body = %s", r.body)
	}
	return body.Errors
}

// wantFailedIDs checks that r is a 403 listing exactly ids, in order.
func wantFailedIDs(t *testing.T, r response, ids ...string) []claimFailure {
	t.Helper()
	fs := wantDenied(t, r)
	got := make([]string, len(fs))
	for i, f := range fs {
		got[i] = f.ID
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("failing validators = %q, want %q; body %s", got, ids, r.body)
	}
	return fs
}

// wantRedirect checks that r is an on_failure redirect to location.
func wantRedirect(t *testing.T, r response, location string) {
	t.Helper()
	wantStatus(t, r, http.StatusFound)
	if got := r.header.Get("Location"); got != location {
		t.Errorf("Location = %q, want %q", got, location)
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if r.upstream != nil || strings.Contains(r.body, "claimValidationErrors") {
		t.Errorf("a redirected request reached the upstream or got a body: %s", r.body)
	}
}

// wantPassed checks that r reached the upstream as alice.
func wantPassed(t *testing.T, r response) {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	if r.upstream == nil {
		t.Fatalf("the request did not reach the upstream")
	}
	if got := r.upstream.Get("X-Auth-User-Id"); got != "alice" {
		t.Errorf("upstream X-Auth-User-Id = %q, want alice", got)
	}
}

func TestGlobalAndRouteValidatorsApplyInOrder(t *testing.T) {
	g := startPolicyGateway(t, `
		require email_verified is_true
		require tenant exists`,
		"\thandle /plain/* {\n\t\tauthgate\n\t\treverse_proxy {UPSTREAM}\n\t}\n"+
			route("/admin/*", "require roles includes admin")+
			route("/beta/*", "skip_global email_verified")+
			route("/beta-admin/*", "skip_global email_verified tenant", "require roles includes admin")+
			"\thandle {\n\t\tauthgate\n\t\treverse_proxy {UPSTREAM}\n\t}\n")
	cases := []struct {
		name    string
		path    string
		claims  []string
		wantIDs []string // nil: passes
	}{
		{"a route without validators of its own runs the global ones", "/plain/x",
			[]string{`tenant="acme"`}, []string{"email_verified"}},
		{"the catch-all route runs the global validators", "/x",
			[]string{"email_verified=true"}, []string{"tenant"}},
		{"a token passing the global validators passes a route without its own", "/plain/x",
			[]string{"email_verified=true", `tenant="acme"`}, nil},
		{"global validators run first and every failure is reported", "/admin/x",
			nil, []string{"email_verified", "tenant", "roles"}},
		{"a route validator refuses what the global ones allow", "/admin/x",
			[]string{"email_verified=true", `tenant="acme"`, `roles=["viewer"]`}, []string{"roles"}},
		{"a token passing global and route validators reaches the app", "/admin/x",
			[]string{"email_verified=true", `tenant="acme"`, `roles=["admin"]`}, nil},
		{"skip_global leaves out the named global validator", "/beta/x",
			[]string{`tenant="acme"`}, nil},
		{"skip_global keeps the global validators it does not name", "/beta/x",
			nil, []string{"tenant"}},
		{"skip_global with several ids keeps the route's own validators", "/beta-admin/x",
			nil, []string{"roles"}},
		{"skip_global with several ids passes what the route allows", "/beta-admin/x",
			[]string{`roles=["admin"]`}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := g.as(tc.path, tc.claims...)
			if tc.wantIDs == nil {
				wantPassed(t, r)
				return
			}
			wantFailedIDs(t, r, tc.wantIDs...)
		})
	}
}

func TestPermissionsFollowRolesAndWildcards(t *testing.T) {
	g := startPolicyGateway(t, `
		role admin   *
		role editor  blog:* comments:moderate
		role viewer  blog:read
		role auditor logs:read`,
		route("/read/*", "require permission blog:read")+
			route("/write/*", "require permission blog:write")+
			route("/delete/*", "require permission blog:posts:delete")+
			route("/blogs/*", "require permission blogs:read")+
			route("/blog-root/*", "require permission blog")+
			route("/billing/*", "require permission billing:manage"))
	cases := []struct {
		name, path, roles string
		wantPass          bool
	}{
		{"a role granting the permission exactly passes", "/read/x", `roles=["viewer"]`, true},
		{"a role not granting the permission is refused", "/write/x", `roles=["viewer"]`, false},
		{"area:* grants a permission in that area", "/write/x", `roles=["editor"]`, true},
		{"area:* grants nested permissions in that area", "/delete/x", `roles=["editor"]`, true},
		{"area:* does not grant a longer area name", "/blogs/x", `roles=["editor"]`, false},
		{"area:* does not grant the bare area", "/blog-root/x", `roles=["editor"]`, false},
		{"* grants every permission", "/billing/x", `roles=["admin"]`, true},
		{"* grants the bare area too", "/blog-root/x", `roles=["admin"]`, true},
		{"any one of several roles suffices", "/write/x", `roles=["auditor","editor"]`, true},
		{"unknown roles grant nothing", "/read/x", `roles=["superuser","Viewer"]`, false},
		{"a single string is not a list of roles", "/read/x", `roles="viewer"`, false},
		{"elements that are not strings grant nothing", "/read/x", `roles=[1,{"viewer":true}]`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := g.as(tc.path, tc.roles)
			if tc.wantPass {
				wantPassed(t, r)
				return
			}
			fs := wantDenied(t, r)
			if len(fs) != 1 || !strings.HasPrefix(fs[0].ID, "permission:") || fs[0].Reason["message"] != "wrong value" {
				t.Fatalf("body = %s", r.body)
			}
		})
	}
	t.Run("the 403 names the permission and shows the roles", func(t *testing.T) {
		r := g.as("/write/x", `roles=["viewer"]`)
		wantDenied(t, r)
		want := `{"message":"invalid claim","claimValidationErrors":[{"id":"permission:blog:write","reason":{"message":"wrong value","expectedPermission":"blog:write","actualValue":["viewer"]}}]}`
		if r.body != want {
			t.Fatalf("body =\n%s\nwant\n%s", r.body, want)
		}
	})
	t.Run("a token without roles misses the roles claim", func(t *testing.T) {
		r := g.as("/read/x")
		fs := wantFailedIDs(t, r, "permission:blog:read")
		if fs[0].Reason["message"] != "value does not exist" {
			t.Fatalf("body = %s", r.body)
		}
	})
}

func TestRolesClaimNamesWherePermissionsLookForRoles(t *testing.T) {
	g := startPolicyGateway(t, `
		roles_claim realm_access.roles
		role editor blog:*`,
		route("/w/*", "require permission blog:write"))
	wantPassed(t, g.as("/w/x", `realm_access={"roles":["editor"]}`))
	fs := wantFailedIDs(t, g.as("/w/x", `roles=["editor"]`), "permission:blog:write")
	if fs[0].Reason["message"] != "value does not exist" {
		t.Fatalf("reason = %v", fs[0].Reason)
	}
}

func TestDenialBodyIsExactAndListsEveryFailure(t *testing.T) {
	g := startPolicyGateway(t, `
		role editor blog:*
		role viewer blog:read
		require tos_accepted is_true`,
		route("/all/*",
			"require plan has_value pro",
			"require email_verified is_true",
			"require roles includes admin",
			"require roles excludes_all banned locked id roles_clean",
			"require region one_of eu-west eu-central",
			"require tenant exists",
			"require permission blog:write",
			"require level has_value 3",
			"require groups includes_all staff eu")+
			route("/spec/*", "require roles includes admin")+
			route("/fresh/*", "require mfa is_true max_age 1m")+
			route("/always/*", "require mfa is_true max_age 0"))

	t.Run("every failing validator is reported, in policy order, with its reason", func(t *testing.T) {
		r := g.as("/all/x", `plan="pro"`, "tos_accepted=false", `roles=["viewer","locked"]`,
			`region="us-east"`, `level="3"`, `groups=["staff"]`)
		wantDenied(t, r)
		want := `{"message":"invalid claim","claimValidationErrors":[` +
			`{"id":"tos_accepted","reason":{"message":"wrong value","expectedValue":true,"actualValue":false}},` +
			`{"id":"email_verified","reason":{"message":"value does not exist","expectedValue":true}},` +
			`{"id":"roles","reason":{"message":"wrong value","expectedToInclude":"admin","actualValue":["viewer","locked"]}},` +
			`{"id":"roles_clean","reason":{"message":"wrong value","expectedToNotInclude":["banned","locked"],"actualValue":["viewer","locked"]}},` +
			`{"id":"region","reason":{"message":"wrong value","expectedToBeOneOf":["eu-west","eu-central"],"actualValue":"us-east"}},` +
			`{"id":"tenant","reason":{"message":"value does not exist"}},` +
			`{"id":"permission:blog:write","reason":{"message":"wrong value","expectedPermission":"blog:write","actualValue":["viewer","locked"]}},` +
			`{"id":"level","reason":{"message":"wrong value","expectedValue":3,"actualValue":"3"}},` +
			`{"id":"groups","reason":{"message":"wrong value","expectedToInclude":["staff","eu"],"actualValue":["staff"]}}]}`
		if r.body != want {
			t.Fatalf("body =\n%s\nwant\n%s", r.body, want)
		}
	})
	t.Run("the body of the documented example is byte for byte SuperTokens'", func(t *testing.T) {
		r := g.as("/spec/x", "tos_accepted=true", `roles=["user"]`)
		wantDenied(t, r)
		want := `{"message":"invalid claim","claimValidationErrors":[{"id":"roles","reason":{"message":"wrong value","expectedToInclude":"admin","actualValue":["user"]}}]}`
		if r.body != want {
			t.Fatalf("body =\n%s\nwant\n%s", r.body, want)
		}
	})

	old := `mfa={"v":true,"t":1700000000000}`
	future := fmt.Sprintf(`mfa={"v":true,"t":%d}`, time.Now().Add(time.Hour).UnixMilli())
	expired := []struct {
		name, path, claim string
		wantMaxAge        float64
	}{
		{"a value fetched long ago is expired without a claim source", "/fresh/x", old, 60},
		{"max_age 0 without a claim source is expired even for a fresh value", "/always/x", "mfa=true", 0},
	}
	for _, tc := range expired {
		t.Run(tc.name, func(t *testing.T) {
			r := g.as(tc.path, "tos_accepted=true", tc.claim)
			fs := wantFailedIDs(t, r, "mfa")
			reason := fs[0].Reason
			wantExpiredReason(t, reason)
			if reason["maxAgeInSeconds"] != tc.wantMaxAge {
				t.Errorf("maxAgeInSeconds = %v, want %v", reason["maxAgeInSeconds"], tc.wantMaxAge)
			}
			if age, _ := reason["ageInSeconds"].(float64); age < tc.wantMaxAge || age < 0 {
				t.Errorf("ageInSeconds = %v", reason["ageInSeconds"])
			}
		})
	}
	t.Run("a value as old as a fresh token passes max_age", func(t *testing.T) {
		wantPassed(t, g.as("/fresh/x", "tos_accepted=true", "mfa=true"))
	})
	t.Run("a fetch time in the future counts as the token's iat", func(t *testing.T) {
		wantPassed(t, g.as("/fresh/x", "tos_accepted=true", future))
	})
	t.Run("a missing value is reported missing, not expired", func(t *testing.T) {
		fs := wantFailedIDs(t, g.as("/fresh/x", "tos_accepted=true"), "mfa")
		if fs[0].Reason["message"] != "value does not exist" {
			t.Fatalf("reason = %v", fs[0].Reason)
		}
	})
}

// wantExpiredReason checks the fields of an "expired" reason.
func wantExpiredReason(t *testing.T, reason map[string]any) {
	t.Helper()
	keys := slices.Sorted(maps.Keys(reason))
	if !slices.Equal(keys, []string{"ageInSeconds", "maxAgeInSeconds", "message"}) || reason["message"] != "expired" {
		t.Fatalf("expired reason = %v", reason)
	}
}

func TestOnFailureRedirects(t *testing.T) {
	g := startPolicyGateway(t, `
		require tos_accepted is_true`,
		route("/r/*",
			"require plan one_of pro team",
			"require mfa is_true",
			"require email_verified is_true",
			"on_failure plan redirect /pricing?from=plan",
			"on_failure mfa redirect https://login.example.com/mfa?step=2",
			"on_failure tos_accepted redirect /tos",
			"redirect_allow https://login.example.com"))
	good := []string{"tos_accepted=true", `plan="pro"`, "mfa=true", "email_verified=true"}
	// with returns good with the named claims replaced.
	with := func(changes ...string) []string {
		out := slices.Clone(good)
		for _, c := range changes {
			name, _, _ := strings.Cut(c, "=")
			for i, o := range out {
				if strings.HasPrefix(o, name+"=") {
					out[i] = c
				}
			}
		}
		return out
	}
	cases := []struct {
		name, wantLocation string
		claims             []string
		wantIDs            []string
	}{
		{"a token passing every validator reaches the app", "", good, nil},
		{"a failed validator with on_failure redirects to its same-origin path", "/pricing?from=plan",
			with(`plan="free"`), nil},
		{"a failed validator may redirect to an allowed origin", "https://login.example.com/mfa?step=2",
			with("mfa=false"), nil},
		{"when several fail the first in policy order decides", "/pricing?from=plan",
			with(`plan="free"`, "mfa=false"), nil},
		{"a failure without on_failure does not hide a later redirect", "https://login.example.com/mfa?step=2",
			with("mfa=false", "email_verified=false"), nil},
		{"on_failure may name a global validator, which runs first", "/tos",
			with("tos_accepted=false", `plan="free"`), nil},
		{"a failure without on_failure is the 403", "",
			with("email_verified=false"), []string{"email_verified"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := g.as("/r/x", tc.claims...)
			switch {
			case tc.wantLocation != "":
				wantRedirect(t, r, tc.wantLocation)
			case tc.wantIDs != nil:
				wantFailedIDs(t, r, tc.wantIDs...)
			default:
				wantPassed(t, r)
			}
		})
	}
}

func TestOpenRedirectTargetsAreRefusedAtLoad(t *testing.T) {
	const allowed = "https://login.example.com"
	cases := []struct {
		name, target, allow string
	}{
		{"a scheme-relative URL", `//evil.com`, allowed},
		{"an absolute URL to an origin not allowed", `https://evil.com`, allowed},
		{"an allowed origin's URL without redirect_allow", `https://login.example.com/mfa`, ""},
		{"a backslash after the slash", `/\evil.com`, allowed},
		{"a backslash and a slash", `/\/evil.com`, allowed},
		{"two backslashes", `\\evil.com`, allowed},
		{"percent-encoded slashes", `/%2F%2Fevil.com`, allowed},
		{"a percent-encoded backslash", `/%5Cevil.com`, allowed},
		{"a percent-encoded tab", `/%09/evil.com`, allowed},
		{"a leading tab", "\"\t//evil.com\"", allowed},
		{"a leading backslash-t as typed", `"\t//evil.com"`, allowed},
		{"a tab between the slashes", "\"/\t/evil.com\"", allowed},
		{"a line break", "\"/ok\n//evil.com\"", allowed},
		{"three slashes", `///evil.com`, allowed},
		{"a scheme without slashes", `https:evil.com`, allowed},
		{"a javascript URL", `javascript:alert(1)`, allowed},
		{"an upper-case javascript URL", `JAVASCRIPT:alert(1)`, allowed},
		{"a data URL", `data:text/html,hi`, allowed},
		{"a bare host name", `evil.com`, allowed},
		{"an empty target", `""`, allowed},
		{"the allowed host over another scheme", `http://login.example.com/mfa`, allowed},
		{"the allowed host on another port", `https://login.example.com:8443/mfa`, allowed},
		{"the allowed host as a prefix of another host", `https://login.example.com.evil.com/`, allowed},
		{"the allowed host as user info before another host", `https://login.example.com@evil.com/`, allowed},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			lines := []string{"require plan has_value pro", "on_failure plan redirect " + tc.target}
			if tc.allow != "" {
				lines = append(lines, "redirect_allow "+tc.allow)
			}
			loadMustFail(t, policySite("", route("/r/*", lines...)),
				"is not a same-origin path or an allowed origin")
		})
	}
}

func TestAuthenticationFailuresNeverReachPolicy(t *testing.T) {
	g := startPolicyGateway(t, `
		require email_verified is_true`,
		route("/deny/*", "require roles includes admin")+
			route("/redirect/*", "require roles includes admin", "on_failure roles redirect /no"))
	failing := []string{`roles=["viewer"]`}
	expired, err := mintDevToken(context.Background(), &certmagic.FileStorage{Path: g.storage}, "alice", failing, -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := mintDevToken(context.Background(), &certmagic.FileStorage{Path: t.TempDir()}, "alice", failing, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	credentials := []struct {
		name   string
		header []string
	}{
		{"a request without a credential", nil},
		{"a malformed token", []string{"Authorization: Bearer not.a.token"}},
		{"an expired token", []string{"Authorization: Bearer " + expired}},
		{"a token signed by another key", []string{"Authorization: Bearer " + foreign}},
	}
	for _, path := range []string{"/deny/x", "/redirect/x"} {
		for _, c := range credentials {
			t.Run(c.name+" on "+path+" gets 401, not the policy's answer", func(t *testing.T) {
				r := g.do("GET", path, c.header...)
				wantStatus(t, r, http.StatusUnauthorized)
				if strings.Contains(r.body, "claimValidationErrors") || r.header.Get("Location") != "" {
					t.Fatalf("policy ran: %s", r.body)
				}
			})
		}
	}
	t.Run("a verified token failing the policy gets the policy's answer", func(t *testing.T) {
		wantFailedIDs(t, g.as("/deny/x", failing...), "email_verified", "roles")
		wantRedirect(t, g.as("/redirect/x", failing...), "/no")
	})
}

func TestOptionalRouteEvaluatesOnlyVerifiedIdentities(t *testing.T) {
	g := startPolicyGateway(t, "",
		route("/o/*", "optional", "require roles includes admin"))
	t.Run("a request without a credential passes anonymously, without validators", func(t *testing.T) {
		r := g.do("GET", "/o/x", "X-Auth-User-Id: mallory")
		wantStatus(t, r, http.StatusOK)
		if r.upstream == nil || r.upstream.Get("X-Auth-User-Id") != "" {
			t.Fatalf("upstream saw %v", r.upstream)
		}
	})
	t.Run("a verified token failing the policy is refused", func(t *testing.T) {
		wantFailedIDs(t, g.as("/o/x", `roles=["viewer"]`), "roles")
	})
	t.Run("a verified token passing the policy reaches the app", func(t *testing.T) {
		wantPassed(t, g.as("/o/x", `roles=["admin"]`))
	})
	t.Run("an invalid token is refused before the policy", func(t *testing.T) {
		wantReason(t, g.do("GET", "/o/x", "Authorization: Bearer nope"), http.StatusUnauthorized, "malformed")
	})
}

func TestCaddyfileValuesAreTypeExact(t *testing.T) {
	g := startPolicyGateway(t, "",
		route("/num/*", "require level has_value 3")+
			route("/str/*", `require level has_value "3"`)+
			route("/backquoted/*", "require level has_value `3`")+
			route("/true/*", "require beta is_true")+
			route("/true-string/*", `require beta has_value "true"`)+
			route("/array/*", `require scopes has_value ["read","write"]`)+
			route("/object/*", `require address has_value {"country":"NL"}`)+
			route("/null/*", "require deleted_at has_value null")+
			route("/one-of/*", `require tier one_of 1 2 "gold"`)+
			route("/includes-number/*", "require ids includes 7")+
			route("/reserved/*", `require label one_of "id" "max_age"`))
	cases := []struct {
		name, path, claim string
		wantPass          bool
	}{
		{"has_value 3 matches the number 3", "/num/x", "level=3", true},
		{"has_value 3 matches the number 3.0", "/num/x", "level=3.0", true},
		{`has_value 3 does not match the string "3"`, "/num/x", `level="3"`, false},
		{`has_value "3" matches the string "3"`, "/str/x", `level="3"`, true},
		{`has_value "3" does not match the number 3`, "/str/x", "level=3", false},
		{"a backquoted value is a string too", "/backquoted/x", `level="3"`, true},
		{"a backquoted value does not match the number", "/backquoted/x", "level=3", false},
		{"is_true accepts the boolean true", "/true/x", "beta=true", true},
		{`is_true does not accept the string "true"`, "/true/x", `beta="true"`, false},
		{"is_true does not accept the number 1", "/true/x", "beta=1", false},
		{`has_value "true" accepts the string "true"`, "/true-string/x", `beta="true"`, true},
		{`has_value "true" does not accept the boolean true`, "/true-string/x", "beta=true", false},
		{"an array value matches the same array", "/array/x", `scopes=["read","write"]`, true},
		{"an array value does not match another order", "/array/x", `scopes=["write","read"]`, false},
		{"an array value does not match one of its elements", "/array/x", `scopes="read"`, false},
		{"an object value matches the same object", "/object/x", `address={"country":"NL"}`, true},
		{"an object value is case-sensitive", "/object/x", `address={"country":"nl"}`, false},
		{"has_value null matches JSON null", "/null/x", "deleted_at=null", true},
		{`has_value null does not match the string "null"`, "/null/x", `deleted_at="null"`, false},
		{"one_of matches a number", "/one-of/x", "tier=1", true},
		{"one_of matches a quoted string", "/one-of/x", `tier="gold"`, true},
		{"one_of does not match a number written as a string", "/one-of/x", `tier="1"`, false},
		{"one_of does not match an array holding a value", "/one-of/x", `tier=["gold"]`, false},
		{"includes 7 finds the number 7", "/includes-number/x", "ids=[7,8]", true},
		{`includes 7 does not find the string "7"`, "/includes-number/x", `ids=["7"]`, false},
		{"a quoted reserved word is a value", "/reserved/x", `label="max_age"`, true},
		{"a quoted id is a value", "/reserved/x", `label="id"`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := g.as(tc.path, tc.claim)
			if tc.wantPass {
				wantPassed(t, r)
				return
			}
			fs := wantDenied(t, r)
			if len(fs) != 1 || fs[0].Reason["message"] != "wrong value" {
				t.Fatalf("body = %s", r.body)
			}
		})
	}
}

func TestNamespacedClaimNamesWithDots(t *testing.T) {
	g := startPolicyGateway(t, "",
		route("/ns/*", "require https://example.com/session.roles includes admin")+
			route("/quoted/*", `require "https://example.com/roles" includes admin`)+
			route("/nested/*", "require realm_access.roles includes admin")+
			route("/deep/*", "require a.b.c has_value 1")+
			route("/index/*", `require roles.0 has_value "admin"`))
	cases := []struct {
		name, path string
		claims     []string
		wantPass   bool
	}{
		{"a namespaced flat key with dots is found without escaping", "/ns/x",
			[]string{`https://example.com/session.roles=["admin"]`}, true},
		{"a namespaced key holding an object is descended into", "/ns/x",
			[]string{`https://example.com/session={"roles":["admin"]}`}, true},
		{"a quoted namespaced claim name works the same", "/quoted/x",
			[]string{`https://example.com/roles=["admin"]`}, true},
		{"a nested path is followed", "/nested/x",
			[]string{`realm_access={"roles":["admin"]}`}, true},
		{"a flat key spelled like the path is found", "/nested/x",
			[]string{`realm_access.roles=["admin"]`}, true},
		{"two ways to read a path count as missing, even when both agree", "/nested/x",
			[]string{`realm_access.roles=["admin"]`, `realm_access={"roles":["admin"]}`}, false},
		{"a longer key wins when the shorter leads nowhere", "/deep/x",
			[]string{`a.b={"c":1}`, `a={"x":2}`}, true},
		{"a shorter key wins when the longer leads nowhere", "/deep/x",
			[]string{`a.b={"x":1}`, `a={"b":{"c":1}}`}, true},
		{"array elements cannot be addressed", "/index/x",
			[]string{`roles=["admin"]`}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := g.as(tc.path, tc.claims...)
			if tc.wantPass {
				wantPassed(t, r)
				return
			}
			fs := wantDenied(t, r)
			if len(fs) != 1 || fs[0].Reason["message"] != "value does not exist" {
				t.Fatalf("body = %s", r.body)
			}
		})
	}
	t.Run("the failure's id is the path as written", func(t *testing.T) {
		wantFailedIDs(t, g.as("/ns/x", `https://example.com/session.roles=["user"]`),
			"https://example.com/session.roles")
	})
}

func TestBadPolicyConfigIsRefusedAtLoad(t *testing.T) {
	const global = "\t\trequire email_verified is_true\n\t\trole editor blog:*"
	cases := []struct {
		name, global string
		lines        []string
		want         string
	}{
		{"skip_global naming no global validator", global,
			[]string{"skip_global email_verfied"}, `skipping global validator "email_verfied"`},
		{"skip_global when there are no global validators", "",
			[]string{"skip_global email_verified"}, `skipping global validator "email_verified"`},
		{"on_failure naming no validator", global,
			[]string{"require plan has_value pro", "on_failure plna redirect /x"}, `on_failure: unknown validator id "plna"`},
		{"on_failure naming a skipped global validator", global,
			[]string{"skip_global email_verified", "on_failure email_verified redirect /x"}, `unknown validator id "email_verified"`},
		{"on_failure given twice for one validator", global,
			[]string{"on_failure email_verified redirect /a", "on_failure email_verified redirect /b"}, "on_failure email_verified given twice"},
		{"two route validators with one id", global,
			[]string{"require roles includes a", "require roles excludes b"}, "duplicate validator id"},
		{"a route validator reusing a global validator's id", global,
			[]string{"require email_verified exists"}, "duplicate validator id"},
		{"a permission no role grants", global,
			[]string{"require permission blog"}, `no role grants permission "blog"`},
		{"a wildcard in the middle of a granted permission", "\t\trole editor blog*",
			[]string{"require plan exists"}, `may only be the whole permission`},
		{"an unknown op", global,
			[]string{"require roles contains admin"}, `unknown validator "contains"`},
		{"a validator without its value", global,
			[]string{"require roles includes"}, "wrong number of values"},
		{"a negative max_age", global,
			[]string{"require roles includes a max_age -1s"}, "bad max_age"},
		{"on_failure without redirect", global,
			[]string{"on_failure email_verified /x"}, "expected: on_failure <id> redirect <path>"},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is a config error", func(t *testing.T) {
			loadMustFail(t, policySite(tc.global, route("/r/*", tc.lines...)), tc.want)
		})
	}
}
