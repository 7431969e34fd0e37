package caddymodule

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
)

// exampleCaddyfile returns Caddyfile.example made runnable in a test: its
// admin endpoint off, its storage in {STORAGE}, the app on {PORT} and the
// demo upstream on upstreamPort. Each replaced spelling must be present, so
// that a change of the example's addresses fails here rather than going
// untested.
func exampleCaddyfile(t *testing.T, upstreamPort int) string {
	t.Helper()
	data, err := os.ReadFile("../Caddyfile.example")
	if err != nil {
		t.Fatal(err)
	}
	src := string(data)
	up := fmt.Sprint(upstreamPort)
	for _, r := range [][2]string{
		{"\tadmin localhost:2019\n", "\tadmin off\n\tstorage file_system {STORAGE}\n"},
		{"\n:8080 {\n", "\n:{PORT} {\n"},
		{"reverse_proxy 127.0.0.1:9001\n", "reverse_proxy 127.0.0.1:" + up + "\n"},
		{"\nhttp://:9001 {\n\tbind 127.0.0.1\n", "\nhttp://:" + up + " {\n\tbind 127.0.0.1\n"},
	} {
		if !strings.Contains(src, r[0]) {
			t.Fatalf("Caddyfile.example no longer contains %q", r[0])
		}
		src = strings.ReplaceAll(src, r[0], r[1])
	}
	return src
}

// The example's app answers every Host on its port, so that
// `curl http://127.0.0.1:8080/` and a Docker port mapping reach authgate
// (a 401, not the empty 200 of a Host no site matches), while the demo
// upstream listens on loopback only.
func TestExampleCaddyfileAnswersAnyHost(t *testing.T) {
	upstreamPort := freePort(t)
	g := startGateway(t, exampleCaddyfile(t, upstreamPort))

	var cfg struct {
		Apps struct {
			HTTP struct {
				Servers map[string]struct {
					Listen []string `json:"listen"`
				} `json:"servers"`
			} `json:"http"`
		} `json:"apps"`
	}
	if err := json.Unmarshal(g.cfg, &cfg); err != nil {
		t.Fatal(err)
	}
	upstreamListen := fmt.Sprintf("127.0.0.1:%d", upstreamPort)
	found := false
	for name, srv := range cfg.Apps.HTTP.Servers {
		for _, l := range srv.Listen {
			if strings.HasSuffix(l, fmt.Sprintf(":%d", upstreamPort)) {
				found = true
				if l != upstreamListen {
					t.Errorf("server %s: the demo upstream listens on %q, want loopback %q", name, l, upstreamListen)
				}
			}
		}
	}
	if !found {
		t.Fatalf("no server listens on the demo upstream's port: %s", g.cfg)
	}

	port := strings.TrimPrefix(g.base, "http://127.0.0.1:")
	tok := g.mint("alice", "email=alice@example.com", `roles=["editor"]`)
	for _, host := range []string{"127.0.0.1:" + port, "other.example", "localhost:" + port} {
		wantReason(t, g.do("GET", "/", "Host: "+host), http.StatusUnauthorized, "missing_credential")
		r := g.do("GET", "/", "Host: "+host, "Authorization: Bearer "+tok)
		wantStatus(t, r, http.StatusOK)
		if !strings.Contains(r.body, "hello alice") || !strings.Contains(r.body, "roles: editor") {
			t.Errorf("Host %s: body %q, want the demo upstream's greeting for alice", host, r.body)
		}
	}
}
