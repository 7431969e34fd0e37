package caddymodule

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/session/sessiontest"
)

// testRedisURL returns the Redis for tests (see sessiontest.RedisURL).
func testRedisURL(t *testing.T) string { return sessiontest.RedisURL(t) }

var (
	caddyBinOnce sync.Once
	caddyBin     string
	caddyBinErr  error
)

// builtCaddy builds ./cmd/caddy once per test run: an in-process Caddy runs
// one config at a time, so a second gateway instance is a real process.
func builtCaddy(t *testing.T) string {
	t.Helper()
	caddyBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "authgate-caddy-bin-")
		if err != nil {
			caddyBinErr = err
			return
		}
		caddyBin = filepath.Join(dir, "caddy")
		out, err := exec.Command("go", "build", "-o", caddyBin, "../cmd/caddy").CombinedOutput()
		if err != nil {
			caddyBinErr = fmt.Errorf("building caddy: %v\n%s", err, out)
		}
	})
	if caddyBinErr != nil {
		t.Fatal(caddyBinErr)
	}
	return caddyBin
}

// redisSite is one gateway instance on the shared Redis and dev key.
const redisSite = `{
	admin {ADMIN}
	storage file_system {STORAGE}
	authgate {
		dev
		session {
			# Two instances, -race and other packages' tests share two
			# cores in CI: a first call (dial included) can take longer than
			# the 300 ms default, which this test is not about.
			store redis {REDIS} {
				timeout 3s
			}
			exchange dev
		}
	}
}
http://127.0.0.1:{PORT} {
	authgate
	reverse_proxy {UPSTREAM}
}
`

// startSecondInstance runs the built binary with site (placeholders
// filled) and waits until it answers.
func startSecondInstance(t *testing.T, site string) string {
	t.Helper()
	port := freePort(t)
	dir := t.TempDir()
	site = strings.ReplaceAll(site, "{PORT}", fmt.Sprint(port))
	cfg := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(cfg, []byte(site), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(builtCaddy(t), "run", "--config", cfg, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+dir+"/data", "XDG_CONFIG_HOME="+dir+"/config", "HOME="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	// A loaded CI machine (two cores, -race, other packages' tests) can
	// take long to start a process; the output says why it did not come up.
	deadline := time.Now().Add(45 * time.Second)
	for {
		resp, err := http.Get(base + "/")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case <-exited:
			t.Fatalf("second instance exited: %s", tail(out.String()))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("second instance up: not within 45s: %s", tail(out.String()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return base
}

func TestTwoInstancesShareSessionsThroughRedis(t *testing.T) {
	redisURL := testRedisURL(t)
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	up := echoUpstream(t)
	site := strings.NewReplacer("{REDIS}", redisURL, "{UPSTREAM}", up.URL).Replace(redisSite)
	adminAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	a := startGateway(t, strings.ReplaceAll(site, "{ADMIN}", adminAddr))
	b := startSecondInstance(t, strings.NewReplacer("{ADMIN}", "off", "{STORAGE}", a.storage).Replace(site))

	// A session made on A works on B, with B's cache warm...
	cookie := "Cookie: " + sessionCookieName + "=" + sesExchange(t, a, "mona")
	r := send(t, b, "GET", "/", "", cookie)
	wantStatus(t, r, http.StatusOK)
	if r.upstream.Get("X-Auth-User-Id") != "mona" {
		t.Fatalf("B's upstream saw %v", r.upstream)
	}
	// ...and a logout on A is refused on B within 1s.
	wantStatus(t, send(t, a.base, "POST", "/.authgate/logout", "", cookie), http.StatusNoContent)
	refusedWithin(t, time.Second, "logout on A", func() int { return send(t, b, "GET", "/", "", cookie).status })

	// An admin revocation of a subject on A is refused on B within 1s, for
	// the subject's JWTs and sessions alike.
	tok := a.mint("nick")
	cookie = "Cookie: " + sessionCookieName + "=" + sesExchange(t, a, "nick")
	wantStatus(t, send(t, b, "GET", "/", "", "Authorization: Bearer "+tok), http.StatusOK)
	wantStatus(t, send(t, b, "GET", "/", "", cookie), http.StatusOK)
	until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	wantStatus(t, send(t, "http://"+adminAddr, "POST", "/authgate/revocations", `{"sub":"nick","until":"`+until+`"}`, jsonCT), http.StatusCreated)
	refusedWithin(t, time.Second, "subject revocation (JWT)", func() int { return send(t, b, "GET", "/", "", "Authorization: Bearer "+tok).status })
	refusedWithin(t, time.Second, "subject revocation (session)", func() int { return send(t, b, "GET", "/", "", cookie).status })

	// A claim set on A is seen on B.
	created := send(t, "http://"+adminAddr, "POST", "/authgate/sessions", `{"user_id":"olga"}`, jsonCT)
	wantStatus(t, created, http.StatusCreated)
	id, tokOlga := jsonField(t, created.body, "session_id"), jsonField(t, created.body, "session_token")
	cookie = "Cookie: " + sessionCookieName + "=" + tokOlga
	wantStatus(t, send(t, b, "GET", "/", "", cookie), http.StatusOK)
	wantStatus(t, send(t, "http://"+adminAddr, "PUT", "/authgate/sessions/"+id+"/claims/email", `"olga@example.com"`, jsonCT), http.StatusNoContent)
	sesWaitFor(t, time.Second, "claim visible on B", func() bool {
		return send(t, b, "GET", "/", "", cookie).upstream.Get("X-Auth-Email") == "olga@example.com"
	})
}

// refusedWithin polls until get answers 401 and fails if that took longer
// than limit (measured from the call).
func refusedWithin(t *testing.T, limit time.Duration, what string, get func() int) {
	t.Helper()
	start := time.Now()
	for {
		status := get()
		if status == http.StatusUnauthorized {
			took := time.Since(start)
			t.Logf("%s refused on the other instance after %v", what, took.Round(time.Millisecond))
			if took > limit {
				t.Fatalf("%s took %v, more than %v", what, took, limit)
			}
			return
		}
		if status != http.StatusOK {
			t.Fatalf("%s: status %d", what, status)
		}
		if time.Since(start) > limit {
			t.Fatalf("%s: still accepted on the other instance after %v", what, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func jsonField(t *testing.T, body, name string) string {
	t.Helper()
	var m map[string]any
	if err := jsonUnmarshal(body, &m); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	s, _ := m[name].(string)
	return s
}

// tail returns the last lines of a process's output for a failure message.
func tail(s string) string {
	if len(s) > 4000 {
		s = s[len(s)-4000:]
	}
	return s
}
