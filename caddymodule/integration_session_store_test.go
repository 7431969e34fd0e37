package caddymodule

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestBoltSessionsSurviveAReloadAndARestart(t *testing.T) {
	dir := t.TempDir()
	up := echoUpstream(t)
	site := strings.ReplaceAll(sessionSite, "{UPSTREAM}", up.URL)
	site = strings.ReplaceAll(site, "{STORAGE}/sessions.db", filepath.Join(dir, "sessions.db"))
	site = strings.ReplaceAll(site, "{SESSION}", "")

	g1 := startGateway(t, site)
	tok := sesExchange(t, g1, "kate")
	// A second config while the first runs is a reload: the pooled store
	// must be reused, not opened again (bolt's file lock would block).
	g2 := startGateway(t, site)
	wantStatus(t, send(t, g2.base, "GET", "/", "", "Cookie: "+sessionCookieName+"="+tok), http.StatusOK)
	// A full stop and start reopens the file.
	startGateway(t, `{
	admin off
}
http://127.0.0.1:{PORT} {
	respond "down"
}
`)
	g3 := startGateway(t, site)
	r := send(t, g3.base, "GET", "/", "", "Cookie: "+sessionCookieName+"="+tok)
	wantStatus(t, r, http.StatusOK)
	if r.upstream.Get("X-Auth-User-Id") != "kate" {
		t.Fatalf("upstream saw %v", r.upstream)
	}
}

func TestDefaultBoltStoreLivesInCaddysDataDir(t *testing.T) {
	up := echoUpstream(t)
	g := startGateway(t, fmt.Sprintf(`{
	admin off
	storage file_system {STORAGE}
	authgate {
		dev
		session {
			exchange dev
		}
	}
}
http://127.0.0.1:{PORT} {
	authgate
	reverse_proxy %s
}
`, up.URL))
	sesExchange(t, g, "liam")
	if _, err := os.Stat(defaultSessionPath()); err != nil {
		t.Fatalf("default session store: %v", err)
	}
}

// TestConcurrentSessionLifecycles runs many clients that exchange, use,
// log out and check the refusal at once (run under -race by CI).
func TestConcurrentSessionLifecycles(t *testing.T) {
	g := startSessionGateway(t, "max_sessions_per_user 1000")
	const clients, rounds = 8, 6
	var wg sync.WaitGroup
	errs := make(chan string, clients*rounds)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sub := fmt.Sprintf("user%d", c%3)
			for range rounds {
				r := send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+g.mint(sub))
				if r.status != http.StatusCreated {
					errs <- fmt.Sprintf("exchange: %d %s", r.status, r.body)
					return
				}
				cookie := ""
				for _, ck := range (&http.Response{Header: r.header}).Cookies() {
					cookie = "Cookie: " + ck.Name + "=" + ck.Value
				}
				if r := send(t, g.base, "GET", "/", "", cookie); r.status != http.StatusOK || r.upstream.Get("X-Auth-User-Id") != sub {
					errs <- fmt.Sprintf("use: %d %v", r.status, r.upstream.Get("X-Auth-User-Id"))
				}
				if r := send(t, g.base, "POST", "/.authgate/logout", "", cookie); r.status != http.StatusNoContent {
					errs <- fmt.Sprintf("logout: %d", r.status)
				}
				if r := send(t, g.base, "GET", "/", "", cookie); r.status != http.StatusUnauthorized {
					errs <- fmt.Sprintf("after logout: %d", r.status)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestBadSessionConfigsAreRefusedAtLoad(t *testing.T) {
	for _, tc := range []struct{ name, options, want string }{
		{"an unknown exchange verifier", "exchange nope", `unknown verifier "nope"`},
		{"a __Host- cookie without Secure", "insecure_cookie\n\t\t\tcookie __Host-s", "need Secure"},
		{"a bad cookie name", `cookie "a;b"`, "not valid"},
		{"a bad redis url", "store redis ftp://x", "redis url is not valid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site := strings.ReplaceAll(sessionSite, "exchange dev", "")
			site = strings.ReplaceAll(site, "store bolt {STORAGE}/sessions.db", "")
			loadMustFail(t, strings.ReplaceAll(site, "{SESSION}", tc.options), tc.want)
		})
	}
}

// TestUnreachableRedisFailsClosed: with the store down nothing passes:
// session cookies, exchanges and (through the deny-list) JWTs get 503.
func TestUnreachableRedisFailsClosed(t *testing.T) {
	dead := fmt.Sprintf("redis://127.0.0.1:%d/0", freePort(t)) // nothing listens there
	site := strings.ReplaceAll(sessionSite, "store bolt {STORAGE}/sessions.db", "store redis "+dead)
	up := echoUpstream(t)
	g := startGateway(t, strings.NewReplacer("{UPSTREAM}", up.URL, "{SESSION}", "").Replace(site))
	for _, tc := range []struct{ name, method, path, header string }{
		{"a session cookie", "GET", "/", "Cookie: " + sessionCookieName + "=" + strings.Repeat("A", 43)},
		{"an exchange", "POST", "/.authgate/session", "Authorization: Bearer " + g.mint("ruth")},
		{"a JWT (deny-list check)", "GET", "/", "Authorization: Bearer " + g.mint("ruth")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, g.base, tc.method, tc.path, "", tc.header)
			wantReason(t, r, http.StatusServiceUnavailable, "store_unavailable")
			if r.header.Get("Retry-After") == "" {
				t.Fatal("no Retry-After")
			}
		})
	}
}
