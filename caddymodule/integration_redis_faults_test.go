package caddymodule

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier/session/storetest"
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
	rp := storetest.StartRedis(t)
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
	if slowest > time.Second || total > 3*time.Second {
		t.Fatalf("slowest %v (want < 1s), total %v (want < 3s)", slowest, total)
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
	if burstSlowest > time.Second {
		t.Fatalf("burst: slowest %v, want < 1s", burstSlowest)
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
