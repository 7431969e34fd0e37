package caddymodule

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/verifier/verifiertest"
)

// BenchmarkServeHTTPCacheHitAccessLog is BenchmarkServeHTTPCacheHit with
// the per-request ExtraLogFields Caddy's server provides, so the decision
// object of the access log is built and set: its cost on the allowed path.
func BenchmarkServeHTTPCacheHitAccessLog(b *testing.B) {
	key := verifiertest.NewEdKey("")
	h, app := benchHandler(b, key, []config.RequireConfig{
		{Claim: "email_verified", Op: "is_true"},
		{Claim: "roles", Op: "includes", Values: []json.RawMessage{json.RawMessage(`"admin"`)}},
	})
	tok := benchToken(key, "alice")
	w := httptest.NewRecorder()
	if err := h.ServeHTTP(w, benchLoggedRequest(tok), okHandler); err != nil || w.Code != http.StatusNoContent {
		b.Fatalf("warm-up request: %v, status %d", err, w.Code)
	}
	app.cache.Wait()
	b.ReportAllocs()
	for b.Loop() {
		_ = h.ServeHTTP(w, benchLoggedRequest(tok), okHandler)
	}
}

func benchLoggedRequest(token string) *http.Request {
	r := benchRequest(token)
	return r.WithContext(context.WithValue(r.Context(), caddyhttp.ExtraLogFieldsCtxKey, new(caddyhttp.ExtraLogFields)))
}
