package caddymodule

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/session/boltstore"
)

// validateConfig checks cfg the way `caddy validate` does: every module is
// provisioned and cleaned up, nothing is started.
func validateConfig(t *testing.T, cfgJSON []byte) error {
	t.Helper()
	var cfg caddy.Config
	if err := json.Unmarshal(cfgJSON, &cfg); err != nil {
		t.Fatal(err)
	}
	return caddy.Validate(&cfg)
}

// `caddy validate` next to a running server: validating must neither wait
// for the bolt file lock the server holds nor disturb its sessions, and a
// reload after it keeps them.
func TestValidateWhileRunningOpensNoSessionStore(t *testing.T) {
	dir := t.TempDir()
	up := echoUpstream(t)
	site := strings.ReplaceAll(sessionSite, "{UPSTREAM}", up.URL)
	site = strings.ReplaceAll(site, "{STORAGE}/sessions.db", filepath.Join(dir, "sessions.db"))
	site = strings.ReplaceAll(site, "{SESSION}", "")
	g := startGateway(t, site)
	tok := sesExchange(t, g, "nina")
	cookie := "Cookie: " + sessionCookieName + "=" + tok

	start := time.Now()
	if err := validateConfig(t, g.cfg); err != nil {
		t.Fatalf("validating the running config: %v", err)
	}
	if d := time.Since(start); d >= boltOpenTimeout {
		t.Fatalf("validating took %v: it waited for the store", d)
	}
	wantStatus(t, send(t, g.base, "GET", "/", "", cookie), http.StatusOK)
	g.reload()
	r := send(t, g.base, "GET", "/", "", cookie)
	wantStatus(t, r, http.StatusOK)
	if r.upstream.Get("X-Auth-User-Id") != "nina" {
		t.Fatalf("upstream saw %v", r.upstream)
	}

	// Another process holding the file (a `caddy run` next to this
	// `caddy validate`) is the case that used to fail with a timeout.
	other := filepath.Join(dir, "other.db")
	held, err := boltstore.Open(other, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	start = time.Now()
	// The storage (the dev key) goes to this test's temporary directory,
	// never to a literal "{STORAGE}" directory in the source tree.
	otherSite := strings.NewReplacer(filepath.Join(dir, "sessions.db"), other, "{STORAGE}", dir, "{PORT}", "1").Replace(site)
	if err := validateConfig(t, adaptCaddyfile(t, otherSite)); err != nil {
		t.Fatalf("validating a config whose bolt file is locked: %v", err)
	}
	if d := time.Since(start); d >= boltOpenTimeout {
		t.Fatalf("validating took %v: it waited for the lock", d)
	}
}

// Apps start in no fixed order: a request reaching a session route before
// the authgate app has opened its store waits for it, and if it is not
// opened in time, session cookies and session endpoints answer 503
// store_unavailable, never 401.
func TestSessionsAnswer503UntilTheStoreIsOpen(t *testing.T) {
	h, app := provisionUnstarted(t, App{App: config.App{
		Session: &config.SessionConfig{Store: &config.SessionStoreConfig{Type: "bolt", Path: filepath.Join(t.TempDir(), "s.db")}},
	}})
	tok, _ := session.NewToken()
	serve := func(method, path string) *httptest.ResponseRecorder {
		t.Helper()
		r := benchRequest("")
		r.Method = method
		r.URL.Path = path
		r.Header.Del("Authorization")
		r.Header.Set("Cookie", app.sessions.cookie.Name+"="+tok)
		w := httptest.NewRecorder()
		if err := h.ServeHTTP(w, r, okHandler); err != nil {
			t.Fatal(err)
		}
		return w
	}
	app.sessions.store.Wait = 20 * time.Millisecond
	for _, c := range []struct{ method, path string }{{"GET", "/app/page"}, {"GET", "/.authgate/session"}, {"POST", "/.authgate/logout"}} {
		w := serve(c.method, c.path)
		if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String()+w.Header().Get("WWW-Authenticate"), "store_unavailable") {
			t.Errorf("%s %s before Start: %d %q %v, want 503 store_unavailable", c.method, c.path, w.Code, w.Body, w.Header())
		}
	}
	app.sessions.store.Wait = 10 * time.Second
	inFlight := make(chan int)
	go func() { inFlight <- serve("GET", "/app/page").Code }()
	time.Sleep(50 * time.Millisecond)
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	if code := <-inFlight; code != http.StatusUnauthorized {
		t.Errorf("a request made while the store opened: %d, want 401 (it waits for the store)", code)
	}
	if w := serve("GET", "/app/page"); w.Code != http.StatusUnauthorized {
		t.Errorf("unknown session after Start: %d, want 401", w.Code)
	}
}

// Errors of the global options carry the Caddyfile position through
// `caddy adapt`, including a second authgate block.
func TestGlobalOptionErrorsCarryTheirLine(t *testing.T) {
	for _, tc := range []struct{ name, input, want string }{
		{"two authgate blocks", "{\n\tauthgate {\n\t\tdev\n\t}\n\tauthgate {\n\t\tdev\n\t}\n}\n",
			"authgate global options given twice: put every authgate option in one block, at Caddyfile:5"},
		{"a jwt block without issuer", "{\n\tauthgate {\n\t\tjwt corp {\n\t\t\taudience app\n\t\t\tjwks_url https://idp.example/jwks\n\t\t}\n\t}\n}\n",
			"jwt corp: issuer is required (the iss its tokens carry), at Caddyfile:3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(tc.input), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// A JSON configuration with a broken verifier block is refused when it
// loads, and the error names the JSON path of the field at fault (a
// Caddyfile gets the same rules at adapt time, with file:line).
func TestJSONConfigErrorsNameTheirPath(t *testing.T) {
	for _, tc := range []struct{ name, apps, want string }{
		{"a jwt block without issuer", `{"jwt":[{"name":"a","issuer":"https://a/","audience":["any"],"jwks_url":"http://127.0.0.1:9/jwks"},{"name":"b","audience":["x"],"secret_file":"/nonexistent"}]}`,
			"apps.authgate.jwt[1].issuer: required (the iss its tokens carry)"},
		{"a recheck naming no introspect block", `{"jwt":[{"name":"a","issuer":"https://a/","audience":["any"],"jwks_url":"http://127.0.0.1:9/jwks","recheck":"nope"}]}`,
			`apps.authgate.jwt[0].recheck: names "nope", which is no introspect block`},
		{"an oidc block without callback_urls", `{"oidc":[{"name":"corp","issuer":"http://127.0.0.1:9","client_id":"app"}]}`,
			"apps.authgate.oidc[0].callback_urls: required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantLoadError(t, []byte(`{"admin":{"disabled":true},"apps":{"authgate":`+tc.apps+`}}`), tc.want)
		})
	}
}
