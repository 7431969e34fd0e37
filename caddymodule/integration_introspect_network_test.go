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
)

// TestIntrospectionFloodRotatingSlash64sOfOneSlash48SparesOthers: behind a
// trusted proxy (read strictly), 16 goroutines send random session tokens,
// each request from a new /64 of one IPv6 /48 (a free tunnel-broker
// allocation holds 65,536 of them). Counting per /64 alone gave each
// request a fresh budget, the junk spent the shared outbound rate, and 19
// of 20 new real tokens of other clients got 503. The /48 now has a budget
// of its own, so they pass.
func TestIntrospectionFloodRotatingSlash64sOfOneSlash48SparesOthers(t *testing.T) {
	var calls atomic.Int64
	service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var body struct{ Token string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		if strings.HasPrefix(body.Token, "legit-") {
			answerJSON(w, http.StatusOK, map[string]any{"sub": "someone"})
			return
		}
		answerJSON(w, http.StatusUnauthorized, nil)
	}))
	t.Cleanup(service.Close)
	site := strings.NewReplacer("{LOG}", "servers {\n\t\ttrusted_proxies static 127.0.0.1/32\n\t\ttrusted_proxies_strict\n\t}",
		"{SERVICE}", service.URL).Replace(floodSite)
	g := startGateway(t, site)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var sent, limited atomic.Int64
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 3 * time.Second}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", g.base+"/", nil)
				req.Header.Set("X-Session-Token", randomToken("junk-"))
				req.Header.Set("X-Forwarded-For", fmt.Sprintf("2001:db8:7:%x::1", (w*4096+i)%65536))
				if resp, err := c.Do(req); err == nil {
					if resp.StatusCode == http.StatusTooManyRequests {
						limited.Add(1)
					}
					resp.Body.Close()
				}
				sent.Add(1)
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	failed := 0
	for i := range 20 {
		r := g.do("GET", "/", "X-Session-Token: "+randomToken("legit-"), fmt.Sprintf("X-Forwarded-For: 203.0.113.%d", i+1))
		if r.status != http.StatusOK {
			failed++
		}
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	t.Logf("%d junk requests from one /48 (%d got 429), %d outbound calls; %d of 20 new real tokens failed",
		sent.Load(), limited.Load(), calls.Load(), failed)
	if failed > 1 {
		t.Errorf("%d of 20 new real tokens of other clients failed during the flood, want at most 1", failed)
	}
}
