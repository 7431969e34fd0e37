package session_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/session/boltstore"
	"github.com/authgate/authgate/session/redisstore"
)

func benchBolt(b *testing.B) session.Store {
	s, err := boltstore.Open(filepath.Join(b.TempDir(), "s.db"), boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func benchRedis(b *testing.B) session.Store {
	url := os.Getenv("AUTHGATE_TEST_REDIS")
	if url == "" {
		b.Skip("AUTHGATE_TEST_REDIS is not set")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		b.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	b.Cleanup(func() { rdb.Close() })
	return redisstore.New(rdb, fmt.Sprintf("authgate-bench:%d:", time.Now().UnixNano()))
}

func benchManager(b *testing.B, st session.Store, cacheTTL time.Duration) *session.Manager {
	m, err := session.NewManager(session.Config{Store: st, CacheTTL: cacheTTL, IdleTimeout: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(m.Close)
	return m
}

var benchClaims = map[string]any{"email": "alice@example.com", "roles": []any{"admin", "editor"}, "email_verified": true}

// BenchmarkStoreLookup is one ByToken per iteration, without any cache.
func BenchmarkStoreLookup(b *testing.B) {
	for name, open := range map[string]func(*testing.B) session.Store{"bolt": benchBolt, "redis": benchRedis} {
		b.Run(name, func(b *testing.B) {
			st := open(b)
			m := benchManager(b, st, 0)
			tok, _, err := m.Create(context.Background(), session.NewSession{UserID: "alice", Claims: benchClaims})
			if err != nil {
				b.Fatal(err)
			}
			h := session.HashToken(tok)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := st.ByToken(context.Background(), h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAuthenticate is a full session check: from the in-process cache
// (hit), or from the store on every request (miss, cache off).
func BenchmarkAuthenticate(b *testing.B) {
	for _, tc := range []struct {
		name  string
		open  func(*testing.B) session.Store
		cache time.Duration
	}{
		{"bolt/hit", benchBolt, time.Hour}, {"bolt/miss", benchBolt, 0},
		{"redis/hit", benchRedis, time.Hour}, {"redis/miss", benchRedis, 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			m := benchManager(b, tc.open(b), tc.cache)
			tok, _, err := m.Create(context.Background(), session.NewSession{UserID: "alice", Claims: benchClaims})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := m.Authenticate(context.Background(), tok, ""); err != nil {
				b.Fatal(err)
			}
			m.Wait()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Authenticate(context.Background(), tok, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCachedSessionMemory reports the heap held per cached session
// (typical claims), measured once over 20,000 sessions of a map store.
func BenchmarkCachedSessionMemory(b *testing.B) {
	const n = 20000
	m := benchManager(b, newMapStore(), time.Hour)
	toks := make([]string, n)
	for i := range toks {
		tok, _, err := m.Create(context.Background(), session.NewSession{UserID: fmt.Sprintf("user-%d", i), Claims: benchClaims})
		if err != nil {
			b.Fatal(err)
		}
		toks[i] = tok
	}
	before := heap()
	for _, tok := range toks {
		if _, err := m.Authenticate(context.Background(), tok, ""); err != nil {
			b.Fatal(err)
		}
	}
	m.Wait()
	after := heap()
	runtime.KeepAlive(toks)
	for b.Loop() {
	}
	b.ReportMetric(float64(after-before)/n, "B/session")
}

func heap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
