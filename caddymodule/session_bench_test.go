package caddymodule

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier/verifiertest"
)

// BenchmarkServeHTTPSessionCacheHit is a request carrying a session cookie
// whose session is in the in-process cache: strip, extract, cache hit,
// two validators, forward. Compare with BenchmarkPlainNext (the floor)
// and BenchmarkServeHTTPCacheHit (a JWT on a cache hit) of the same run.
func BenchmarkServeHTTPSessionCacheHit(b *testing.B) {
	key := verifiertest.NewEdKey("")
	_, jwtApp := benchHandler(b, key, nil)
	h, app := provisionBenchHandler(b, App{
		App: config.App{
			JWT:     []*config.JWTConfig{{Name: "bench", Issuer: "https://bench.example/", Audience: []string{"app"}, KeyFiles: jwtApp.JWT[0].KeyFiles}},
			Session: &config.SessionConfig{Store: &config.SessionStoreConfig{Type: "bolt", Path: filepath.Join(b.TempDir(), "s.db")}},
			Require: []config.RequireConfig{
				{Claim: "email_verified", Op: "is_true"},
				{Claim: "roles", Op: "includes", Values: []json.RawMessage{json.RawMessage(`"admin"`)}},
			},
		},
	})
	tok, _, err := app.sessions.manager.Create(context.Background(), session.NewSession{
		UserID: "alice", Claims: map[string]any{"email": "alice@example.com", "roles": []any{"admin", "editor"}, "email_verified": true},
	})
	if err != nil {
		b.Fatal(err)
	}
	req := func() *http.Request {
		r := benchRequest("")
		r.Header.Del("Authorization")
		r.Header.Set("Cookie", app.sessions.cookie.Name+"="+tok)
		return r
	}
	w := httptest.NewRecorder()
	if err := h.ServeHTTP(w, req(), okHandler); err != nil || w.Code != http.StatusNoContent {
		b.Fatalf("warm-up request: %v, status %d", err, w.Code)
	}
	app.sessions.manager.Wait()
	b.ReportAllocs()
	for b.Loop() {
		_ = h.ServeHTTP(w, req(), okHandler)
	}
}
