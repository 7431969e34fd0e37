package caddymodule

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/health"
	"github.com/authgate/authgate/verifier/verifiertest"
)

// healthAttackSite mounts readiness on a public site, with a JWKS check.
const healthAttackSite = `{
	admin {ADMIN}
	storage file_system {STORAGE}
	authgate {
		jwt corp {
			issuer https://idp.example.com
			audience app
			jwks_url {JWKS}
			jwks_timeout 300ms
		}
		ready jwks
	}
}
http://127.0.0.1:{PORT} {
	authgate_health /readyz ready
	authgate
	respond "protected"
}`

// slowJWKS hangs (until the client gives up) while closed, and answers
// after delay once opened.
func slowJWKS(t *testing.T, open *atomic.Bool, delay time.Duration) *httptest.Server {
	t.Helper()
	body := `{"keys":[` + string(verifiertest.NewRSAKey("k1").JWK()) + `]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !open.Load() {
			<-r.Context().Done()
			return
		}
		time.Sleep(delay)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A public client that asks for readiness and hangs up before the answer
// must not make the instance look not ready: the readiness answer is
// shared by every probe of the next second, so it must come from checks
// that ran to their own deadline (here: a JWKS refresh that succeeds after
// 150 ms), not to the deadline of whoever happened to ask first.
func TestHealthReadinessIsNotPoisonedByAClientThatHangsUp(t *testing.T) {
	var open atomic.Bool
	jwks := slowJWKS(t, &open, 150*time.Millisecond)
	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	site := strings.NewReplacer("{ADMIN}", admin, "{JWKS}", jwks.URL).Replace(healthAttackSite)
	g := startGateway(t, site)
	waitHealth(t, g.base+"/readyz", http.StatusServiceUnavailable)

	open.Store(true)
	time.Sleep(1100 * time.Millisecond) // past the reused answer and the refresh ration
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, g.base+"/readyz", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("/readyz answered %d within 50 ms; the test needs the client to hang up first", resp.StatusCode)
	}
	time.Sleep(300 * time.Millisecond) // the refresh the hung-up probe started is done
	r := g.do("GET", "/readyz")
	if r.status != http.StatusOK {
		t.Fatalf("readiness after a client hung up on a slow check: %d %s, want 200 (the keys loaded)", r.status, r.body)
	}
}

// The admin health routes are Caddy admin routes: a request naming
// another host (DNS rebinding) or carrying a foreign Origin (a web page
// probing the loopback admin endpoint) is refused before authgate sees
// it; a plain probe is answered.
func TestAdminHealthRoutesRefuseForeignHostsAndOrigins(t *testing.T) {
	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	startGateway(t, `{
	admin `+admin+`
	storage file_system {STORAGE}
	authgate {
		dev
	}
}
http://127.0.0.1:{PORT} {
	respond "ok"
}`)
	base := "http://" + admin
	for _, path := range []string{"/authgate/health", "/authgate/ready"} {
		waitHealth(t, base+path, http.StatusOK)
		for _, tc := range []struct {
			header string
			want   int
		}{
			{"Host: evil.example", http.StatusForbidden},
			{"Host: evil.example:" + strings.Split(admin, ":")[1], http.StatusForbidden},
			{"Origin: https://evil.example", http.StatusForbidden},
			{"Origin: null", http.StatusBadRequest},
			{"Sec-Fetch-Mode: no-cors", http.StatusBadRequest},
		} {
			r := send(t, base, "GET", path, "", tc.header)
			if r.status != tc.want || strings.Contains(r.body, `"checks"`) {
				t.Errorf("GET %s with %q: %d %q, want %d and no report", path, tc.header, r.status, r.body, tc.want)
			}
		}
	}
}

// Probes on kept-alive connections across reloads: the old config's
// server answers the requests of its open connections while the old app
// stops, and those probes must still see a live, ready instance (the new
// config is already running).
func TestHealthStaysLiveAcrossReloads(t *testing.T) {
	g := startGateway(t, `{
	admin off
	storage file_system {STORAGE}
	authgate {
		dev
	}
}
http://127.0.0.1:{PORT} {
	authgate_health /livez
	authgate_health /readyz ready
	respond "ok"
}`)
	var probes, failed atomic.Int64
	var last atomic.Value
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		client := &http.Client{Timeout: 5 * time.Second} // keeps connections alive
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			path := []string{"/livez", "/readyz"}[i%2]
			resp, err := client.Get(g.base + path)
			if err != nil {
				continue // a connection closed by the old server's shutdown
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			probes.Add(1)
			if resp.StatusCode != http.StatusOK {
				failed.Add(1)
				last.Store(path + ": " + string(body))
			}
		}
	}()
	for range 20 {
		g.reload()
	}
	close(stop)
	<-done
	if failed.Load() > 0 {
		t.Fatalf("%d of %d probes failed across 20 reloads; last %v", failed.Load(), probes.Load(), last.Load())
	}
}

// neverLoaded is a key source whose keys never load.
type neverLoaded struct{}

func (neverLoaded) Loaded(context.Context) bool { return false }

// A health handler answers for its own app while that app runs, even when
// another config is the active one (the window of a reload in which the
// new config runs before it becomes active): never with another config's
// checks. Only while its own app is not running does it answer for the
// active config's app.
func TestHealthHandlerAnswersForItsOwnRunningApp(t *testing.T) {
	startGateway(t, `{
	admin off
	storage file_system {STORAGE}
	authgate {
		dev
	}
}
http://127.0.0.1:{PORT} {
	respond "ok"
}`)
	own := &App{health: &health.Health{Checks: []string{"jwks"}, JWKS: map[string]health.KeysLoader{"idp": neverLoaded{}}}}
	h := &HealthHandler{Ready: true, app: own}
	probe := func() int {
		rec := httptest.NewRecorder()
		_ = h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil), nil)
		return rec.Code
	}
	if code := probe(); code != http.StatusOK {
		t.Fatalf("own app not running: got %d, want 200 from the active app (ready, no checks)", code)
	}
	own.health.Running.Store(true)
	if code := probe(); code != http.StatusServiceUnavailable {
		t.Fatalf("own app running with keys never loaded: got %d, want 503 from its own checks", code)
	}
}
