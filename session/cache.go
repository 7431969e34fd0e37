package session

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"

	"github.com/authgate/authgate/internal/safecache"
	"github.com/authgate/authgate/verifier"
)

// cache is the in-process copy of recent lookups. A flush bumps the
// generation instead of clearing ristretto (whose Clear is not safe while
// others use the cache): entries of an older generation are ignored. The
// generation is read before the store is, so a lookup that raced with a
// flush is stored as already stale. safecache lets a reload close it while
// requests of the old configuration still use it.
type cache struct {
	c   *safecache.Cache[string, cacheEntry]
	ttl time.Duration
	gen atomic.Uint64
}

// cacheEntry carries its own expiry: ristretto's Set is asynchronous and
// its TTL is swept coarsely, so the entry is the authority on its age.
type cacheEntry struct {
	s       *Session
	id      *verifier.Identity // identity(s), built once per cached copy
	deny    DenyState
	gen     uint64
	expires time.Time
}

// newCache returns a cache of about maxCost bytes whose entries live at
// most ttl. ttl 0 disables caching.
func newCache(maxCost int64, ttl time.Duration) (*cache, error) {
	c := &cache{ttl: ttl}
	if ttl <= 0 {
		return c, nil
	}
	rc, err := safecache.New(&ristretto.Config[string, cacheEntry]{
		NumCounters: max(maxCost/512*10, 1000),
		MaxCost:     maxCost,
		BufferItems: 64,
		// Keys are SHA-256 sums: their bytes are the two hashes.
		KeyToHash: func(k string) (uint64, uint64) {
			return binary.LittleEndian.Uint64([]byte(k[:8])), binary.LittleEndian.Uint64([]byte(k[8:16]))
		},
	})
	if err != nil {
		return nil, err
	}
	c.c = rc
	return c, nil
}

func (c *cache) get(key string, now time.Time) (cacheEntry, bool) {
	if c.c == nil {
		return cacheEntry{}, false
	}
	e, ok := c.c.Get(key)
	if !ok || e.gen != c.gen.Load() || !now.Before(e.expires) {
		return cacheEntry{}, false
	}
	return e, true
}

// generation returns the generation to store a value read from now on.
func (c *cache) generation() uint64 { return c.gen.Load() }

func (c *cache) set(key string, e cacheEntry, gen uint64, now time.Time, cost int64) {
	if c.c == nil {
		return
	}
	e.gen, e.expires = gen, now.Add(c.ttl)
	if e.s != nil && e.s.ExpiresAt().Before(e.expires) {
		e.expires = e.s.ExpiresAt()
	}
	c.c.SetWithTTL(key, e, cost, c.ttl)
}

func (c *cache) del(key string) {
	if c.c != nil {
		c.c.Del(key)
	}
}

// flush makes every current entry stale.
func (c *cache) flush() { c.gen.Add(1) }

// wait applies pending writes (tests, benchmarks).
func (c *cache) wait() {
	if c.c != nil {
		c.c.Wait()
	}
}

func (c *cache) close() {
	if c.c != nil {
		c.c.Close()
	}
}

func tokenKey(h Hash) string { return string(h[:]) }

// denyKey hashes the deny-list query so every cache key is a SHA-256 sum;
// the parts are length-prefixed, so no two queries share a key.
func denyKey(q DenyQuery) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "deny\x00%d:%s%d:%s%s", len(q.Token), q.Token, len(q.Subject), q.Subject, q.JTI))
	return string(sum[:])
}

// sessionCost approximates the memory a cached session holds.
func sessionCost(s *Session) int64 {
	cost := int64(320 + len(s.ID) + len(s.UserID) + len(s.Verifier) + len(s.SourceJTI) + len(s.Host) +
		len(s.Provider) + len(s.ProviderSID) + len(s.IDToken))
	for k, v := range s.Claims {
		cost += int64(48+len(k)) + valueCost(v)
	}
	return cost
}

func valueCost(v any) int64 {
	switch v := v.(type) {
	case string:
		return int64(16 + len(v))
	case []any:
		n := int64(24)
		for _, e := range v {
			n += valueCost(e)
		}
		return n
	case map[string]any:
		n := int64(48)
		for k, e := range v {
			n += int64(16+len(k)) + valueCost(e)
		}
		return n
	}
	return 16
}
