package caddymodule

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/verifier/verifiertest"
)

// okHandler stands in for reverse_proxy: it does the least work possible so
// the benchmarks measure authgate's own cost.
var okHandler = caddyhttp.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
})

// benchHandler provisions a handler with a key-file verifier for alg and a
// global validator, the way a Caddyfile would, and the app it is bound to.
func benchHandler(b testing.TB, key *verifiertest.Key, require []config.RequireConfig) (*Handler, *App) {
	b.Helper()
	return benchHandlerMetrics(b, key, require, true)
}

// benchHandlerMetrics is benchHandler with the process metrics on or off.
func benchHandlerMetrics(b testing.TB, key *verifiertest.Key, require []config.RequireConfig, metrics bool) (*Handler, *App) {
	b.Helper()
	pemPath := filepath.Join(b.TempDir(), "key.pem")
	if err := os.WriteFile(pemPath, key.PublicPEM(), 0o600); err != nil {
		b.Fatal(err)
	}
	return provisionBenchHandler(b, App{App: config.App{
		JWT:     []*config.JWTConfig{{Name: "bench", Issuer: "https://bench.example/", Audience: []string{"app"}, KeyFiles: []string{pemPath}}},
		Require: require,
	}, noMetrics: !metrics})
}

// provisionBenchHandler provisions app from its JSON form, as Caddy would,
// and a handler with no route options bound to it. cfg.noMetrics carries
// over.
func provisionBenchHandler(b testing.TB, cfg App) (*Handler, *App) {
	b.Helper()
	h, app := provisionUnstarted(b, cfg)
	if err := app.Start(); err != nil {
		b.Fatal(err)
	}
	return h, app
}

// provisionUnstarted is provisionBenchHandler without the app's Start, as
// `caddy validate` leaves it: no session store is open.
func provisionUnstarted(b testing.TB, cfg App) (*Handler, *App) {
	b.Helper()
	appCfg, _ := json.Marshal(cfg)
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	b.Cleanup(cancel)
	app := new(App)
	if err := json.Unmarshal(appCfg, app); err != nil {
		b.Fatal(err)
	}
	app.noMetrics = cfg.noMetrics
	if err := app.Provision(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = app.Cleanup() })

	h := &Handler{}
	h.logger = ctx.Logger()
	if err := h.provisionWithApp(app); err != nil {
		b.Fatal(err)
	}
	return h, app
}

func benchToken(key *verifiertest.Key, sub string) string {
	now := time.Now()
	return key.MintHeader(map[string]any{"kid": nil}, map[string]any{
		"iss": "https://bench.example/", "aud": "app", "sub": sub, "email": sub + "@example.com",
		"roles": []any{"admin", "editor"}, "email_verified": true,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
}

func benchRequest(token string) *http.Request {
	r := httptest.NewRequest("GET", "/app/page", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	r.Header.Set("X-Auth-User-Id", "forged")
	repl := caddy.NewReplacer()
	return r.WithContext(context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl))
}

// BenchmarkPlainNext is the floor: building the request and the next
// handler alone.
func BenchmarkPlainNext(b *testing.B) {
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		_ = okHandler.ServeHTTP(w, benchRequest("x"))
	}
}

// BenchmarkServeHTTPCacheHit is a repeat request with an already verified
// token: strip, extract, cache hit, two validators, forward.
func BenchmarkServeHTTPCacheHit(b *testing.B) {
	key := verifiertest.NewEdKey("")
	h, app := benchHandler(b, key, []config.RequireConfig{
		{Claim: "email_verified", Op: "is_true"},
		{Claim: "roles", Op: "includes", Values: []json.RawMessage{json.RawMessage(`"admin"`)}},
	})
	tok := benchToken(key, "alice")
	w := httptest.NewRecorder()
	if err := h.ServeHTTP(w, benchRequest(tok), okHandler); err != nil || w.Code != http.StatusNoContent {
		b.Fatalf("warm-up request: %v, status %d", err, w.Code)
	}
	app.cache.Wait()
	b.ReportAllocs()
	for b.Loop() {
		r := benchRequest(tok)
		_ = h.ServeHTTP(w, r, okHandler)
	}
}

// BenchmarkServeHTTPCold verifies a new token on every request (the cache
// is cleared whenever the pool of distinct tokens wraps), per algorithm.
func BenchmarkServeHTTPCold(b *testing.B) {
	for _, alg := range verifiertest.Algs {
		b.Run(alg, func(b *testing.B) {
			key := verifiertest.NewKey(alg, "")
			h, app := benchHandler(b, key, nil)
			toks := make([]string, 2048)
			for i := range toks {
				toks[i] = benchToken(key, fmt.Sprintf("user-%d", i))
			}
			w := httptest.NewRecorder()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i%len(toks) == 0 {
					app.cache.Clear()
				}
				_ = h.ServeHTTP(w, benchRequest(toks[i%len(toks)]), okHandler)
				i++
			}
		})
	}
}
