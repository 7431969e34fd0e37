package caddymodule

import (
	"bufio"
	"encoding/json"

	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// confusedPaths are spellings of "/admin/…" that a `handle /admin/*`
// matcher misses and that Tomcat- or IIS-style upstreams may normalise
// into /admin/…, with the firewall rule each one breaks ("" for none).
var confusedPaths = []struct{ path, rule string }{
	{"/admin", ""},
	{"/admin;/x", "semicolon"},
	{"/admin%3b/x", "semicolon"},
	{"/app;jsessionid=abc", "semicolon"},
	{"/admin./x", "trailing_dot_space"},
	{"/admin%20/x", "trailing_dot_space"},
	{`/admin\x`, "backslash"},
	{"/admin%00/x", "encoded_nul"},
	{"/admin%2Fx", "encoded_slash"},
	{"/admin%5cx", "encoded_backslash"},
}

// rawGet sends GET target over a raw TCP connection, so the request line
// reaches Caddy exactly as written, and returns the status and body.
func rawGet(t *testing.T, base, target string, headers ...string) (int, string) {
	t.Helper()
	addr := strings.TrimPrefix(base, "http://")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET " + target + " HTTP/1.1\r\nHost: " + addr + "\r\nConnection: close\r\n"
	for _, h := range headers {
		req += h + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func reasonOf(body string) string {
	var b struct{ Reason string }
	_ = json.Unmarshal([]byte(body), &b)
	return b.Reason
}

// TestRequestFirewallRulesAreSeparable turns on one reject_paths rule at a
// time on an optional route and sends every confused spelling over a raw
// socket: exactly the spellings that break the rule get 400 path_<rule>;
// the others reach the upstream, so `semicolon` can stay off for Tomcat's
// ;jsessionid= while the rest are on.
func TestRequestFirewallRulesAreSeparable(t *testing.T) {
	for _, rule := range pathRules {
		t.Run(rule, func(t *testing.T) {
			up := echoUpstream(t)
			g := startGateway(t, policySite("", "\tauthgate {\n\t\toptional\n\t\treject_paths "+rule+
				"\n\t}\n\treverse_proxy "+up.URL+"\n"))
			for _, p := range confusedPaths {
				status, body := rawGet(t, g.base, p.path)
				switch {
				case p.rule == rule && (status != http.StatusBadRequest || reasonOf(body) != "path_"+rule):
					t.Errorf("%s: %d %s, want 400 path_%s", p.path, status, body, rule)
				case p.rule != rule && status != http.StatusOK:
					t.Errorf("%s: %d %s, want 200 (rule %s is off)", p.path, status, body, p.rule)
				}
			}
		})
	}
}

// TestReadmeAdminExampleDeniesConfusedPaths loads the README's policy
// example and sends every confused spelling of /admin/… with an editor's
// token over a raw socket: none may reach the upstream, with the firewall
// lines (400) and without them (the strict catch-all answers 403).
func TestReadmeAdminExampleDeniesConfusedPaths(t *testing.T) {
	firewall := regexp.MustCompile(`(?m)^\s*reject_paths .*\n`)
	for _, tc := range []struct {
		name string
		edit func(string) string
	}{
		{"as documented", func(s string) string { return s }},
		{"without reject_paths", func(s string) string { return firewall.ReplaceAllString(s, "") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := echoUpstream(t)
			site := tc.edit(runnableExample(t, "policy-admin", up.URL))
			if tc.name != "as documented" && strings.Contains(site, "reject_paths") {
				t.Fatal("reject_paths lines not removed")
			}
			g := startGateway(t, site)
			editor := "Authorization: Bearer " + g.mint("alice", "email_verified=true", `roles=["editor"]`)
			for _, p := range confusedPaths {
				if strings.HasPrefix(p.path, "/app") {
					continue
				}
				status, body := rawGet(t, g.base, p.path, editor)
				if status == http.StatusOK || (status != http.StatusForbidden && status != http.StatusBadRequest) {
					t.Errorf("%s as an editor: %d %s, want 403 or 400", p.path, status, body)
				}
			}
			admin := "Authorization: Bearer " + g.mint("alice", "email_verified=true", `roles=["admin"]`)
			if status, body := rawGet(t, g.base, "/admin/users", admin); status != http.StatusOK {
				t.Errorf("/admin/users as an admin: %d %s", status, body)
			}
		})
	}
}

func TestRejectPathsRefusesUnknownRules(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	loadMustFail(t, policySite("", "\tauthgate {\n\t\treject_paths semicolon dotdot\n\t}\n"), `reject_paths: unknown rule "dotdot"`)
}
