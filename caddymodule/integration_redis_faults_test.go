package caddymodule

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/session/sessiontest"
)

// ownRedisSite is one gateway on a Redis the test owns (it stops, flushes
// or restarts it), with a short store timeout.
const ownRedisSite = `{
	admin {ADMIN}
	storage file_system {STORAGE}
	log {
		output file {LOG}
		format json
	}
	authgate {
		dev
		session {
			store redis {REDIS} {
				timeout 300ms
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

// timedGet sends GET / with the given header and returns the status (0
// when the client gave up after 3s) and how long it took. Safe to call
// from several goroutines.
func timedGet(base, header string) (int, time.Duration) {
	req, _ := http.NewRequest("GET", base+"/", nil)
	name, value, _ := strings.Cut(header, ":")
	req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	start := time.Now()
	resp, err := (&http.Client{Timeout: 3 * time.Second}).Do(req)
	took := time.Since(start)
	if err != nil {
		return 0, took
	}
	resp.Body.Close()
	return resp.StatusCode, took
}

// A Redis frozen mid-connection (SIGSTOP: connections open, nothing
// answers) used to hold each request for 5-10s. Every store call now has a
// deadline, and once calls keep failing the circuit opens and requests get
// their 503 at once; after SIGCONT the gateway recovers by itself.
func TestHungRedisFailsFastAndRecovers(t *testing.T) {
	rp := sessiontest.StartRedis(t)
	up := echoUpstream(t)
	logFile := t.TempDir() + "/caddy.log"
	g := startGateway(t, strings.NewReplacer("{ADMIN}", "off", "{REDIS}", rp.URL(), "{UPSTREAM}", up.URL, "{LOG}", logFile).Replace(ownRedisSite))
	cookie := "Cookie: " + sessionCookieName + "=" + sesExchange(t, g, "hana")
	bearer := "Authorization: Bearer " + g.mint("ivan")
	wantStatus(t, g.do("GET", "/", cookie), http.StatusOK)
	wantStatus(t, g.do("GET", "/", bearer), http.StatusOK)

	rp.Stop()
	defer rp.Cont()
	time.Sleep(1100 * time.Millisecond) // past the 1s session cache

	// Sequential requests: each bounded by the deadline (300ms, one
	// retry inside it), and once the circuit is open, answered at once.
	var slowest, total time.Duration
	for i := range 12 {
		h := cookie
		if i%2 == 1 {
			h = bearer
		}
		status, took := timedGet(g.base, h)
		if status != http.StatusServiceUnavailable {
			t.Fatalf("request %d with redis stopped: status %d after %v, want 503", i, status, took)
		}
		slowest, total = max(slowest, took), total+took
	}
	t.Logf("12 sequential requests: slowest %v, total %v", slowest, total)
	if slowest > 2*time.Second || total > 5*time.Second {
		t.Fatalf("slowest %v (want < 2s), total %v (want < 5s)", slowest, total)
	}

	// A burst does not queue behind the hung connections either.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var burstSlowest time.Duration
	errs := make(chan string, 40)
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, took := timedGet(g.base, cookie)
			if status != http.StatusServiceUnavailable {
				errs <- fmt.Sprintf("status %d after %v", status, took)
			}
			mu.Lock()
			burstSlowest = max(burstSlowest, took)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatalf("burst with redis stopped: %s, want 503", e)
	}
	t.Logf("40 concurrent requests: slowest %v", burstSlowest)
	if burstSlowest > 2*time.Second {
		t.Fatalf("burst: slowest %v, want < 2s", burstSlowest)
	}

	rp.Cont()
	start := time.Now()
	sesWaitFor(t, 5*time.Second, "session accepted after SIGCONT", func() bool {
		status, _ := timedGet(g.base, cookie)
		return status == http.StatusOK
	})
	t.Logf("recovered %v after SIGCONT", time.Since(start).Round(time.Millisecond))
	wantStatus(t, g.do("GET", "/", bearer), http.StatusOK)
}

// A Redis restarted without its data used to reopen revoked tokens on
// every instance, let an exchanged token be exchanged again, and log
// nothing. Now both instances find the loss (the generation marker is
// gone), log it at error level, keep refusing the revoked subject from
// their in-memory deny-list and write it back, and refuse exchanges of
// tokens issued before the loss was found.
func TestEmptyRedisRestartKeepsRevocations(t *testing.T) {
	rp := sessiontest.StartRedis(t)
	up := echoUpstream(t)
	dir := t.TempDir()
	site := strings.NewReplacer("{REDIS}", rp.URL(), "{UPSTREAM}", up.URL).Replace(ownRedisSite)
	adminAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	a := startGateway(t, strings.NewReplacer("{ADMIN}", adminAddr, "{LOG}", dir+"/a.log").Replace(site))
	b := startSecondInstance(t, strings.NewReplacer("{ADMIN}", "off", "{STORAGE}", a.storage, "{LOG}", dir+"/b.log").Replace(site))

	revoked := "Authorization: Bearer " + a.mint("nick")
	wantStatus(t, send(t, b, "GET", "/", "", revoked), http.StatusOK)
	until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	wantStatus(t, send(t, "http://"+adminAddr, "POST", "/authgate/revocations", `{"sub":"nick","until":"`+until+`"}`, jsonCT), http.StatusCreated)
	refusedWithin(t, 2*time.Second, "revocation on B", func() int { return send(t, b, "GET", "/", "", revoked).status })
	exchanged := a.mint("olga")
	wantStatus(t, send(t, a.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+exchanged), http.StatusCreated)
	time.Sleep(1500 * time.Millisecond) // B's background check loads the deny-list

	rp.Restart()

	for name, base := range map[string]string{"A": a.base, "B": b} {
		wantReason(t, send(t, base, "GET", "/", "", revoked), http.StatusUnauthorized, "token_revoked")
		t.Logf("instance %s", name)
		wantReason(t, send(t, base, "POST", "/.authgate/session", "", "Authorization: Bearer "+exchanged), http.StatusUnauthorized, "token_reused")
	}
	for _, log := range []string{dir + "/a.log", dir + "/b.log"} {
		sesWaitFor(t, 3*time.Second, "loss logged at error level in "+log, func() bool {
			data, _ := os.ReadFile(log)
			for _, line := range strings.Split(string(data), "\n") {
				if strings.Contains(line, `"level":"error"`) && strings.Contains(line, "redis lost its data") {
					return true
				}
			}
			return false
		})
	}
	// The deny-list is back in Redis: a third instance starting now, with
	// nothing in memory, refuses the subject too.
	rdb := redis.NewClient(&redis.Options{Addr: rp.Addr()})
	defer rdb.Close()
	sesWaitFor(t, 3*time.Second, "deny-list written back", func() bool {
		return rdb.Exists(context.Background(), "authgate:ds:nick").Val() == 1
	})
	// Tokens issued after the loss was found are exchanged as usual.
	time.Sleep(time.Second) // iat has second precision
	wantStatus(t, send(t, b, "POST", "/.authgate/session", "", "Authorization: Bearer "+a.mint("olga")), http.StatusCreated)
}

// Any eviction policy but noeviction lets Redis drop revocations under
// memory pressure: the gateway warns at start.
func TestRedisEvictionPolicyWarnsAtStart(t *testing.T) {
	rp := sessiontest.StartRedis(t, "--maxmemory-policy", "allkeys-lru")
	logFile := t.TempDir() + "/caddy.log"
	startGateway(t, strings.NewReplacer("{ADMIN}", "off", "{REDIS}", rp.URL(), "{UPSTREAM}", echoUpstream(t).URL, "{LOG}", logFile).Replace(ownRedisSite))
	data, _ := os.ReadFile(logFile)
	for _, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, `"level":"warn"`) && strings.Contains(line, "maxmemory-policy is not noeviction") && strings.Contains(line, "allkeys-lru") {
			return
		}
	}
	t.Fatalf("no warning about maxmemory-policy in the log:\n%s", data)
}
