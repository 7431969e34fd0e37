package authgatecli

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	"github.com/authgate/authgate/session/sessiontest"
	"github.com/authgate/authgate/verifier/verifiertest"
)

// runHealth runs `caddy authgate health` with args in-process and returns
// its output and error (Caddy's main exits 1 on an error, else 0).
func runHealth(args ...string) (string, error) {
	var out bytes.Buffer
	c := healthCommand()
	c.SetOut(&out)
	c.SetErr(new(bytes.Buffer))
	c.SetArgs(args)
	err := c.Execute()
	return out.String(), err
}

// health reads a running Caddy's admin endpoint: liveness passes, readiness
// fails while the JWKS never answered (exit 1, the 503 body in the error)
// and passes once it does (exit 0), fails again while the Redis session
// store is down and passes once it is back, while liveness passes
// throughout; the address comes from --address or from the admin line of
// --config.
func TestHealthCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Caddy: skipped with -short")
	}
	var open atomic.Bool
	body := `{"keys":[` + string(verifiertest.NewRSAKey("k1").JWK()) + `]}`
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !open.Load() {
			<-r.Context().Done() // never answers
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	defer jwks.Close()

	rp := sessiontest.StartRedis(t)
	dir := t.TempDir()
	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	caddyfile := filepath.Join(dir, "Caddyfile")
	src := fmt.Sprintf(`{
	admin %s
	storage file_system %s
	authgate {
		jwt corp {
			issuer https://idp.example.com
			audience app
			jwks_url %s
			jwks_timeout 300ms
		}
		session {
			store redis %s {
				timeout 300ms
			}
		}
		ready jwks store
	}
}
`, admin, filepath.Join(dir, "data"), jwks.URL, rp.URL())
	if err := os.WriteFile(caddyfile, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	caddy.ConfigAutosavePath = filepath.Join(dir, "autosave.json")
	if err := caddy.Load(cfg, true); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = caddy.Load([]byte(`{"admin":{"disabled":true}}`), true) }()

	out, err := runHealth("--address", admin)
	if err != nil || !strings.Contains(out, `"status":"ok"`) {
		t.Fatalf("health: %q, %v", out, err)
	}
	if _, err := runHealth("--ready", "--address", admin); err == nil || !strings.Contains(err.Error(), "HTTP 503") || !strings.Contains(err.Error(), `"check":"jwks"`) {
		t.Fatalf("ready with a JWKS that never answered: %v", err)
	}
	open.Store(true)
	var last error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, last = runHealth("--ready", "--config", caddyfile, "--adapter", "caddyfile"); last == nil {
			break
		}
	}
	if last != nil {
		t.Fatalf("ready after the JWKS answered: %v", last)
	}
	rp.Kill()
	if last = waitHealthCommand(false, "--ready", "--address", admin); last == nil || !strings.Contains(last.Error(), "HTTP 503") || !strings.Contains(last.Error(), `"check":"store","state":"failing"`) {
		t.Fatalf("ready with Redis down: %v", last)
	}
	if out, err := runHealth("--address", admin); err != nil || !strings.Contains(out, `"status":"ok"`) {
		t.Fatalf("live with Redis down: %q, %v", out, err)
	}
	rp.Start()
	if last = waitHealthCommand(true, "--ready", "--address", admin); last != nil {
		t.Fatalf("ready after Redis came back: %v", last)
	}
	// Nothing listens there: an error, so exit 1.
	if _, err := runHealth("--address", fmt.Sprintf("127.0.0.1:%d", freePort(t))); err == nil {
		t.Fatal("health passed with no admin endpoint")
	}
}

// waitHealthCommand runs the health command with args until it passes
// (pass) or fails (!pass), for at most 10 s (readiness answers are reused
// for a second and checks wait on timeouts), and returns its last error.
func waitHealthCommand(pass bool, args ...string) error {
	_, last := runHealth(args...)
	for deadline := time.Now().Add(10 * time.Second); (last == nil) != pass && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		_, last = runHealth(args...)
	}
	return last
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
