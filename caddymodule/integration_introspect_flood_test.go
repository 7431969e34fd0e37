package caddymodule

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// floodSite fronts a session service whose shared outbound budget is 50
// calls per second. Its timeout is generous: the flood tests measure who
// spends the budget, and a call slowed by a loaded test machine (-race,
// 32 flooding goroutines on two cores) must not read as a refusal.
const floodSite = `{
	admin off
	storage file_system {STORAGE}
	{LOG}
	authgate {
		introspect remote {
			url {SERVICE}/introspect
			from header X-Session-Token
			rate_limit 50
			timeout 3s
		}
	}
}
http://127.0.0.1:{PORT} {
	authgate
	respond "ok"
}
`

// TestIntrospectionFloodFromOneClientSparesOthers floods the gateway from
// 127.0.0.1 with random session tokens on 32 goroutines while a second
// client, 127.0.0.2, presents 20 new real tokens. The flooder is held to
// its own budget (429 with Retry-After) and cannot spend the shared
// outbound rate, so every real token passes; the log stays bounded.
func TestIntrospectionFloodFromOneClientSparesOthers(t *testing.T) {
	var junkCalls atomic.Int64
	service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Token string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		if user, ok := strings.CutPrefix(body.Token, "legit-"); ok {
			answerJSON(w, http.StatusOK, map[string]any{"sub": "user-" + user[:4]})
			return
		}
		junkCalls.Add(1)
		answerJSON(w, http.StatusUnauthorized, map[string]any{"error": "no session"})
	}))
	t.Cleanup(service.Close)
	logs := newCaddyLog(t)
	g := startGateway(t, strings.NewReplacer("{LOG}", logs.option(), "{SERVICE}", service.URL).Replace(floodSite))

	flooder := clientFrom(t, "127.0.0.1", 64)
	var sent, limited atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				status, retry := get(flooder, g.base, randomToken("junk-"))
				sent.Add(1)
				if status == http.StatusTooManyRequests {
					limited.Add(1)
					if retry == "" {
						t.Error("429 without Retry-After")
					}
				}
			}
		}()
	}
	legit := clientFrom(t, "127.0.0.2", 4)
	start := time.Now()
	var failed []int
	for range 20 {
		time.Sleep(100 * time.Millisecond)
		if status, _ := get(legit, g.base, randomToken("legit-")); status != http.StatusOK {
			failed = append(failed, status)
		}
	}
	close(stop)
	wg.Wait()
	elapsed := time.Since(start)
	t.Logf("flood: %d requests in %v (%.0f/s), %d answered 429, %d reached the service; legit failures %v",
		sent.Load(), elapsed.Round(time.Millisecond), float64(sent.Load())/elapsed.Seconds(), limited.Load(), junkCalls.Load(), failed)
	if len(failed) > 0 {
		t.Errorf("%d of 20 real new tokens failed during the flood: %v", len(failed), failed)
	}
	// Default budget: rate_limit/10 = 5 calls/s, bursts of 10.
	if max := int64(10 + 5*elapsed.Seconds() + 10); junkCalls.Load() > max {
		t.Errorf("the flooder got %d calls to the service, budget about %d", junkCalls.Load(), max)
	}
	warnings := logs.lines(`"level":"warn","ts"`)
	var ours int
	for _, l := range warnings {
		if strings.Contains(l, "http.handlers.authgate") {
			ours++
		}
	}
	// Each kind of warning is written at most 10 times per 10 s window, and
	// a loaded machine stretches the flood over several windows.
	if limit := 20 * (1 + int(elapsed/(10*time.Second))); ours > limit {
		t.Errorf("%d warning lines for %d requests in %v, want at most %d", ours, sent.Load(), elapsed.Round(time.Second), limit)
	}
	if len(logs.lines("junk-")) > 0 || len(logs.lines("legit-")) > 0 {
		t.Error("a token reached the log")
	}
}

// clientFrom returns an HTTP client whose connections come from the local
// address ip: a distinct client as Caddy sees it.
func clientFrom(t *testing.T, ip string, conns int) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// get sends one request carrying token and returns the status and the
// Retry-After header; a transport error is status 0.
func get(c *http.Client, base, token string) (int, string) {
	req, _ := http.NewRequest(http.MethodGet, base+"/", nil)
	req.Header.Set("X-Session-Token", token)
	resp, err := c.Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

func randomToken(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// TestIntrospectionRefusesMisshapenTokensWithoutACall sends credentials
// that are too short or do not match token_pattern: each is 401 malformed
// and the service is never asked.
func TestIntrospectionRefusesMisshapenTokensWithoutACall(t *testing.T) {
	var calls atomic.Int64
	service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		answerJSON(w, http.StatusOK, map[string]any{"sub": "someone"})
	}))
	t.Cleanup(service.Close)
	site := strings.NewReplacer("{LOG}", "", "{SERVICE}", service.URL, "timeout 3s",
		"timeout 3s\n\t\t\ttoken_pattern ses_[A-Za-z0-9]{20,40}\n\t\t\tmin_token_length 24").Replace(floodSite)
	g := startGateway(t, site)
	for _, tok := range []string{"short", "ses_abc", "not-a-session-token-of-this-service", "ses_" + strings.Repeat("a", 41)} {
		wantReason(t, g.do("GET", "/", "X-Session-Token: "+tok), http.StatusUnauthorized, "malformed")
	}
	if calls.Load() != 0 {
		t.Fatalf("%d calls for misshapen tokens", calls.Load())
	}
	wantStatus(t, g.do("GET", "/", "X-Session-Token: ses_"+strings.Repeat("a", 24)), http.StatusOK)
	if calls.Load() != 1 {
		t.Fatalf("%d calls for one well-shaped token, want 1", calls.Load())
	}
}

// TestIntrospectionBudgetCountsTrustedClientIPsPerIPv6Slash64 puts the
// gateway behind a trusted proxy (127.0.0.1, X-Forwarded-For): junk from
// ever-changing addresses of one IPv6 /64 spends one budget, while a
// client of another /64 behind the same proxy keeps its own.
func TestIntrospectionBudgetCountsTrustedClientIPsPerIPv6Slash64(t *testing.T) {
	service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Token string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		if strings.HasPrefix(body.Token, "legit-") {
			answerJSON(w, http.StatusOK, map[string]any{"sub": "someone"})
			return
		}
		answerJSON(w, http.StatusUnauthorized, nil)
	}))
	t.Cleanup(service.Close)
	site := strings.NewReplacer("{LOG}", "servers {\n\t\ttrusted_proxies static 127.0.0.1/32\n\t\tclient_ip_headers X-Forwarded-For\n\t}",
		"{SERVICE}", service.URL).Replace(floodSite)
	g := startGateway(t, site)
	limited := 0
	for i := range 40 {
		xff := fmt.Sprintf("X-Forwarded-For: 2001:db8:0:1:%x::%x", i, i+1)
		if r := g.do("GET", "/", "X-Session-Token: "+randomToken("junk-"), xff); r.status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited < 20 {
		t.Errorf("only %d of 40 junk requests from one /64 were throttled", limited)
	}
	r := g.do("GET", "/", "X-Session-Token: "+randomToken("legit-"), "X-Forwarded-For: 2001:db8:0:2::7")
	wantStatus(t, r, http.StatusOK)
}
