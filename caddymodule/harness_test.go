package caddymodule

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
	"github.com/caddyserver/certmagic"
)

// TestMain keeps Caddy's data and config dirs inside a temporary directory,
// so tests neither read nor write the developer's real Caddy state.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "authgate-test-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_DATA_HOME", dir+"/data")
	os.Setenv("XDG_CONFIG_HOME", dir+"/config")
	// Caddy computes these paths at init, before the variables above.
	caddy.ConfigAutosavePath = dir + "/autosave.json"
	caddy.DefaultStorage = &certmagic.FileStorage{Path: dir + "/data"}
	code := m.Run()
	_ = caddy.Stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

// gateway is a real Caddy running in this process with one site.
type gateway struct {
	t       *testing.T
	base    string // http://127.0.0.1:PORT
	storage string // Caddy's storage directory (holds the dev key)
	cfg     []byte // the adapted JSON config
}

// reload loads the same config again, the way `caddy reload` does: Caddy
// provisions the new config before it cleans up the old one.
func (g *gateway) reload() {
	g.t.Helper()
	if err := caddy.Load(g.cfg, true); err != nil {
		g.t.Fatalf("reloading config: %v", err)
	}
	g.waitUp()
}

// startGateway adapts the Caddyfile (with {PORT} and {STORAGE} filled in),
// loads it into an in-process Caddy and waits until the site answers.
func startGateway(t *testing.T, caddyfile string) *gateway {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	storage := t.TempDir()
	template := strings.ReplaceAll(caddyfile, "{STORAGE}", storage)
	var port int
	var cfg []byte
	// freePort's port is free only until it is closed: an outgoing
	// connection of this or another process can take it before Caddy
	// binds it. That race is the test's, not the gateway's, so a bind
	// failure is retried on another port.
	for attempt := 1; ; attempt++ {
		port = freePort(t)
		cfg = adaptCaddyfile(t, strings.ReplaceAll(template, "{PORT}", fmt.Sprint(port)))
		err := caddy.Load(cfg, true)
		if err == nil {
			break
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatalf("loading config: %v", err)
		}
		t.Logf("port %d was taken before Caddy bound it; retrying: %v", port, err)
	}
	t.Cleanup(func() { _ = caddy.Load([]byte(`{"admin":{"disabled":true}}`), true) })
	g := &gateway{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", port), storage: storage, cfg: cfg}
	g.waitUp()
	return g
}

// wantLoadError checks that Caddy refuses the adapted config with an
// error containing want.
func wantLoadError(t *testing.T, cfg []byte, want string) {
	t.Helper()
	err := caddy.Load(cfg, true)
	if err == nil {
		_ = caddy.Load([]byte(`{"admin":{"disabled":true}}`), true)
		t.Fatal("config loaded")
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want %q", err, want)
	}
}

func adaptCaddyfile(t *testing.T, caddyfile string) []byte {
	t.Helper()
	// A placeholder of the harness left in would become a literal
	// directory or address: "{STORAGE}" once put a dev key into the
	// source tree.
	for _, p := range []string{"{STORAGE}", "{PORT}"} {
		if strings.Contains(caddyfile, p) {
			t.Fatalf("adapting a Caddyfile with %s not filled in:\n%s", p, caddyfile)
		}
	}
	adapter := caddyconfig.GetAdapter("caddyfile")
	cfg, warnings, err := adapter.Adapt([]byte(caddyfile), nil)
	if err != nil {
		t.Fatalf("adapting Caddyfile: %v\n%s", err, caddyfile)
	}
	for _, w := range warnings {
		t.Logf("adapt warning: %s", w.Message)
	}
	return cfg
}

// handedOut holds the ports freePort returned, so it never returns one
// twice in a process.
var handedOut sync.Map

// freePort returns a port nothing listens on, for a server the test starts
// later. It picks below the kernel's ephemeral range (32768 and up on
// Linux): a port asked of the kernel with ":0" is free only until it is
// closed, and any outgoing connection of this or a parallel test process
// can take it before the server binds it.
func freePort(t *testing.T) int {
	t.Helper()
	for range 1000 {
		port := 20000 + rand.IntN(12000)
		if _, taken := handedOut.LoadOrStore(port, true); taken {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		l.Close()
		return port
	}
	t.Fatal("no free port below the ephemeral range")
	return 0
}

// mint returns a dev token trusted by a gateway running with `dev`.
func (g *gateway) mint(sub string, claims ...string) string {
	g.t.Helper()
	tok, err := mintDevToken(context.Background(), &certmagic.FileStorage{Path: g.storage}, sub, claims, time.Hour)
	if err != nil {
		g.t.Fatalf("minting dev token: %v", err)
	}
	return tok
}

func (g *gateway) waitUp() {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(g.base + "/__up")
		if err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	g.t.Fatalf("gateway at %s did not come up", g.base)
}

// response is what a test request got back.
type response struct {
	status int
	header http.Header
	body   string
	// upstream holds the request headers the echo upstream saw, if reached.
	upstream http.Header
}

// do sends a request through the gateway. headers are "Name: value" lines.
func (g *gateway) do(method, path string, headers ...string) response {
	g.t.Helper()
	return send(g.t, g.base, method, path, "", headers...)
}

// send sends a request with a body to base without following redirects.
// headers are "Name: value" lines; a Host line sets the request's host.
func send(t *testing.T, base, method, path, body string, headers ...string) response {
	t.Helper()
	req := newRequest(t, method, base+path, body, headers...)
	client := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return readResponse(t, resp)
}

// newRequest builds a request; headers are "Name: value" lines, and a Host
// line sets the request's host (Go ignores a Host header).
func newRequest(t *testing.T, method, rawURL, body string, headers ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		if strings.EqualFold(name, "Host") {
			req.Host = strings.TrimSpace(value)
			continue
		}
		req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return req
}

// readResponse reads and closes resp, decoding the echo upstream's body.
func readResponse(t *testing.T, resp *http.Response) response {
	t.Helper()
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, body: string(data)}
	if resp.Header.Get("X-Echo") == "1" {
		if err := json.Unmarshal(data, &r.upstream); err != nil {
			t.Fatalf("decoding echo body: %v", err)
		}
	}
	return r
}

// echoUpstream answers every request with the headers it received as JSON,
// standing in for the legacy app behind the gateway.
func echoUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo", "1")
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(r.Header)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func wantStatus(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.status, status, r.body)
	}
}

func wantReason(t *testing.T, r response, status int, reason string) {
	t.Helper()
	wantStatus(t, r, status)
	var body struct{ Error, Reason string }
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatalf("body is not JSON: %q", r.body)
	}
	if body.Reason != reason {
		t.Fatalf("reason = %q, want %q (body %s)", body.Reason, reason, r.body)
	}
}
