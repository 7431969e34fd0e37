package caddymodule

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/verifier/verifiertest"
)

// cacheHitHandler is BenchmarkServeHTTPCacheHit's handler, with the process
// metrics on or off, after one request that put its token in the cache.
func cacheHitHandler(tb testing.TB, metrics bool) (*Handler, string) {
	tb.Helper()
	key := verifiertest.NewEdKey("")
	h, app := benchHandlerMetrics(tb, key, []config.RequireConfig{
		{Claim: "email_verified", Op: "is_true"},
		{Claim: "roles", Op: "includes", Values: []json.RawMessage{json.RawMessage(`"admin"`)}},
	}, metrics)
	tok := benchToken(key, "alice")
	w := httptest.NewRecorder()
	if err := h.ServeHTTP(w, benchRequest(tok), okHandler); err != nil || w.Code != http.StatusNoContent {
		tb.Fatalf("warm-up request: %v, status %d", err, w.Code)
	}
	app.cache.Wait()
	return h, tok
}

// BenchmarkServeHTTPCacheHitMetrics is BenchmarkServeHTTPCacheHit with and
// without the process metrics: the allocations per request must be equal.
func BenchmarkServeHTTPCacheHitMetrics(b *testing.B) {
	for _, metrics := range []bool{false, true} {
		name := "without"
		if metrics {
			name = "with"
		}
		b.Run(name, func(b *testing.B) {
			h, tok := cacheHitHandler(b, metrics)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				_ = h.ServeHTTP(w, benchRequest(tok), okHandler)
			}
		})
	}
}

// Counting a request whose token the identity cache knows (its verify
// latency, the cache hit and the allowed request) allocates nothing: the
// series are resolved before.
func TestMetricsAddNoAllocationOnACacheHit(t *testing.T) {
	allocs := func(metrics bool) float64 {
		h, tok := cacheHitHandler(t, metrics)
		w := httptest.NewRecorder()
		serve := func() { _ = h.ServeHTTP(w, benchRequest(tok), okHandler) }
		serve() // resolves the series of the allowed request
		return testing.AllocsPerRun(200, serve)
	}
	before := metricSum(t, "authgate_requests_total", map[string]string{"verifier": "bench", "outcome": "allowed", "reason": "ok"})
	without, with := allocs(false), allocs(true)
	if with > without {
		t.Errorf("a cache hit allocates %v times with metrics, %v without", with, without)
	}
	after := metricSum(t, "authgate_requests_total", map[string]string{"verifier": "bench", "outcome": "allowed", "reason": "ok"})
	// The warm-up, the request above and AllocsPerRun's 201 runs.
	if after-before != 203 {
		t.Errorf("the allowed requests with metrics were counted %v times, want 203", after-before)
	}
}
