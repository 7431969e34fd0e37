package caddymodule

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig"

	"github.com/authgate/authgate/session/sessiontest"
	"github.com/authgate/authgate/verifier/verifiertest"
)

// healthSite checks readiness of a JWKS and a Redis the test controls,
// through the mounted handler and the admin routes.
const healthSite = `{
	admin {ADMIN}
	storage file_system {STORAGE}
	authgate {
		jwt corp {
			issuer https://idp.example.com
			audience app
			jwks_url {JWKS}
			jwks_timeout 300ms
		}
		session {
			store redis {REDIS} {
				timeout 300ms
			}
		}
		ready jwks store
	}
}
http://127.0.0.1:{PORT} {
	authgate_health /livez
	authgate_health /readyz ready
	authgate
	respond "protected"
}`

// gatedJWKS is a JWKS endpoint that never answers until opened: each
// request hangs until the client gives up.
type gatedJWKS struct {
	*httptest.Server
	open    atomic.Bool
	release chan struct{}
	once    sync.Once
}

func newGatedJWKS(t *testing.T) *gatedJWKS {
	t.Helper()
	g := &gatedJWKS{release: make(chan struct{})}
	body := `{"keys":[` + string(verifiertest.NewRSAKey("k1").JWK()) + `]}`
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.open.Load() {
			select {
			case <-r.Context().Done():
			case <-g.release:
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(func() { g.once.Do(func() { close(g.release) }); g.Close() })
	return g
}

// healthBody is the JSON of a liveness or readiness answer.
type healthBody struct {
	Status string
	Checks []struct{ Check, Target, State, Error string }
}

func (b healthBody) state(check string) string {
	for _, c := range b.Checks {
		if c.Check == check {
			return c.State
		}
	}
	return "absent"
}

// waitHealth polls url until it answers status (readiness answers are
// reused for a second, and checks wait on refreshes), and returns the body.
func waitHealth(t *testing.T, url string, status int) healthBody {
	t.Helper()
	var last response
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		last = send(t, url, "GET", "", "")
		if last.status == status {
			break
		}
	}
	if last.status != status {
		t.Fatalf("GET %s: status %d, want %d; body %s", url, last.status, status, last.body)
	}
	if ct := last.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("GET %s: Content-Type %q", url, ct)
	}
	var b healthBody
	if err := json.Unmarshal([]byte(last.body), &b); err != nil {
		t.Fatalf("GET %s: body is not JSON: %q", url, last.body)
	}
	return b
}

// Readiness follows the configured checks: a JWKS that never answered and
// a stopped Redis make it 503 (naming the failing check), recovery makes it
// 200 again; liveness stays 200 throughout, on the site and the admin API.
func TestHealthReadinessFollowsJWKSAndRedis(t *testing.T) {
	rp := sessiontest.StartRedis(t)
	jwks := newGatedJWKS(t)
	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	site := strings.NewReplacer("{ADMIN}", admin, "{JWKS}", jwks.URL, "{REDIS}", rp.URL()).Replace(healthSite)
	g := startGateway(t, site)
	adminURL := "http://" + admin

	live := []string{g.base + "/livez", adminURL + "/authgate/health"}
	ready := []string{g.base + "/readyz", adminURL + "/authgate/ready"}
	for _, u := range live {
		if b := waitHealth(t, u, http.StatusOK); b.Status != "ok" || b.state("app") != "ok" {
			t.Fatalf("%s: %+v", u, b)
		}
	}
	for _, u := range ready {
		b := waitHealth(t, u, http.StatusServiceUnavailable)
		if b.Status != "failing" || b.state("jwks") != "failing" || b.state("store") != "ok" {
			t.Fatalf("%s with a JWKS that never answered: %+v", u, b)
		}
	}
	wantStatus(t, g.do("GET", "/protected"), http.StatusUnauthorized) // the probe paths alone skip authgate

	jwks.open.Store(true)
	for _, u := range ready {
		if b := waitHealth(t, u, http.StatusOK); b.state("jwks") != "ok" || b.state("store") != "ok" {
			t.Fatalf("%s after the JWKS answered: %+v", u, b)
		}
	}

	rp.Kill()
	for _, u := range ready {
		if b := waitHealth(t, u, http.StatusServiceUnavailable); b.state("store") != "failing" || b.state("jwks") != "ok" {
			t.Fatalf("%s with Redis down: %+v", u, b)
		}
	}
	for _, u := range live {
		waitHealth(t, u, http.StatusOK)
	}

	rp.Start()
	for _, u := range ready {
		waitHealth(t, u, http.StatusOK)
	}
}

// Without a ready option, ready means running; HEAD gets no body, other
// methods 405; ready checks of things not configured are refused at load.
func TestHealthDefaultsAndRefusals(t *testing.T) {
	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	g := startGateway(t, `{
	admin `+admin+`
	storage file_system {STORAGE}
	authgate {
		dev
	}
}
http://127.0.0.1:{PORT} {
	authgate_health /readyz ready
	respond "ok"
}`)
	b := waitHealth(t, g.base+"/readyz", http.StatusOK)
	if len(b.Checks) != 1 || b.state("app") != "ok" {
		t.Fatalf("default readiness: %+v", b)
	}
	waitHealth(t, "http://"+admin+"/authgate/ready", http.StatusOK)
	if r := g.do("HEAD", "/readyz"); r.status != http.StatusOK || r.body != "" {
		t.Fatalf("HEAD: %d %q", r.status, r.body)
	}
	wantStatus(t, g.do("POST", "/readyz"), http.StatusMethodNotAllowed)

	for check, want := range map[string]string{
		"store": "no session store is configured",
		"jwks":  "no jwt verifier has a jwks_url",
		"oidc":  "no oidc provider is configured",
	} {
		cfg := adaptCaddyfile(t, "{\n\tadmin off\n\tauthgate {\n\t\tdev\n\t\tready "+check+"\n\t}\n}\nhttp://127.0.0.1:"+fmt.Sprint(freePort(t))+" {\n\tauthgate_health ready\n}")
		wantLoadError(t, cfg, want)
	}
	for _, line := range []string{"authgate_health live", "authgate_health ready now"} {
		_, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(":8080 {\n\t"+line+"\n}"), nil)
		if err == nil {
			t.Errorf("%q adapted", line)
		}
	}
}
