package redisstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// maxMirror bounds the in-memory deny-list. Entries are written by admins,
// identity providers and logouts (one per validly signed token presented,
// so a client adds no more entries than it holds tokens); past the bound, expired entries
// are dropped first, then new ones are not kept in memory (Redis still
// holds them).
const maxMirror = 1 << 20

// denyMirror is this instance's copy of the deny-list: its own entries,
// plus every entry in Redis, reloaded whenever the shared deny-list
// version changes. Lookups merge it with Redis, and after a loss it is
// written back, so an empty Redis cannot reopen a revoked token.
type denyMirror struct {
	mu      sync.RWMutex
	entries map[string]mirrorEntry // key below the prefix: dj:<jti>, ds:<subject>, dt:<token key>
	ver     string                 // deny-list version last loaded
}

type mirrorEntry struct {
	val   int64 // dj:, dt: until; ds: revocation time (unix ms)
	until int64 // unix ms
}

func (s *Store) denyIndexKey() string   { return s.prefix + "dx" }
func (s *Store) denyVersionKey() string { return s.prefix + "dv" }

func (m *denyMirror) put(key string, val, until int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries == nil {
		m.entries = map[string]mirrorEntry{}
	}
	old, ok := m.entries[key]
	if !ok && len(m.entries) >= maxMirror {
		m.prune(time.Now().UnixMilli())
		if len(m.entries) >= maxMirror {
			return
		}
	}
	m.entries[key] = mirrorEntry{val: max(old.val, val), until: max(old.until, until)}
}

// get returns the entry of key when it has not expired.
func (m *denyMirror) get(key string, now time.Time) (int64, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e, ok := m.entries[key]
	return e.val, ok && e.until > now.UnixMilli()
}

func (m *denyMirror) prune(now int64) {
	for k, e := range m.entries {
		if e.until <= now {
			delete(m.entries, k)
		}
	}
}

func (m *denyMirror) version() string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.ver
}

func (m *denyMirror) snapshot(now int64) map[string]mirrorEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.prune(now)
	out := make(map[string]mirrorEntry, len(m.entries))
	for k, e := range m.entries {
		out[k] = e
	}
	return out
}

// loadDenyList copies every live deny-list entry of Redis into memory and
// records ver as loaded.
func (s *Store) loadDenyList(ctx context.Context, ver string) error {
	now := time.Now().UnixMilli()
	zs, err := s.rdb.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{
		Key: s.denyIndexKey(), ByScore: true, Start: "(" + strconv.FormatInt(now, 10), Stop: "+inf",
	}).Result()
	if err != nil {
		return fmt.Errorf("loading deny-list: %w", err)
	}
	for chunk := range slices.Chunk(zs, 1000) {
		keys := make([]string, len(chunk))
		for i, z := range chunk {
			keys[i] = s.prefix + z.Member.(string)
		}
		vals, err := s.rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return fmt.Errorf("loading deny-list: %w", err)
		}
		for i, z := range chunk {
			if v, ok := vals[i].(string); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				s.mirror.put(z.Member.(string), n, int64(z.Score))
			}
		}
	}
	s.mirror.mu.Lock()
	s.mirror.ver = ver
	s.mirror.mu.Unlock()
	return nil
}

// restoreDenyList writes every live in-memory entry back to Redis (the
// deny script keeps the later of two values, so entries other instances
// wrote meanwhile are not weakened).
func (s *Store) restoreDenyList(ctx context.Context) (int, error) {
	now := time.Now().UnixMilli()
	all := s.mirror.snapshot(now)
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	for chunk := range slices.Chunk(keys, 500) {
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range chunk {
				e := all[k]
				denyScript.Eval(ctx, p, s.denyKeys(k), e.val, e.until, k, now)
			}
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("restoring deny-list: %w", err)
		}
	}
	return len(keys), nil
}
