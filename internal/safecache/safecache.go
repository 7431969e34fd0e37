// Package safecache wraps a ristretto cache so that it can be closed while
// other goroutines still use it.
//
// Caddy cleans up an old configuration while requests of that
// configuration, or fetches they started in the background, may still be
// running. ristretto's Close closes its internal channels before it marks
// the cache closed, so a Set racing a Close panics with "send on closed
// channel", and Wait after Close blocks or panics. Cache marks itself closed
// at once (every later call misses or is dropped) and closes the ristretto
// cache only after a grace period, by which time every call that saw it
// open has long returned: cache calls take microseconds.
package safecache

import (
	"encoding/binary"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"
)

// Cache is a ristretto cache that is safe to use during and after Close:
// then every Get misses and every Set is dropped.
type Cache[K ristretto.Key, V any] struct {
	c      *ristretto.Cache[K, V]
	closed atomic.Bool
	// clearing is set during Clear, whose drops are not evictions. Clear
	// stops ristretto's goroutine first, so no real eviction is missed.
	clearing atomic.Bool
}

// closeGrace is how long Close waits before it releases the ristretto cache.
var closeGrace = 30 * time.Second

// New returns a cache with ristretto's configuration cfg.
func New[K ristretto.Key, V any](cfg *ristretto.Config[K, V]) (*Cache[K, V], error) {
	c, err := ristretto.NewCache(cfg)
	if err != nil {
		return nil, err
	}
	return &Cache[K, V]{c: c}, nil
}

// Get returns the value for key, or false after Close.
func (c *Cache[K, V]) Get(key K) (v V, ok bool) {
	if c.closed.Load() {
		return v, false
	}
	return c.c.Get(key)
}

// SetWithTTL stores value for ttl with the given cost; like ristretto it may
// drop the value (admission, full buffers), and it always does after Close.
func (c *Cache[K, V]) SetWithTTL(key K, value V, cost int64, ttl time.Duration) (ok bool) {
	if c.closed.Load() {
		return false
	}
	return c.c.SetWithTTL(key, value, cost, ttl)
}

// Del removes key.
func (c *Cache[K, V]) Del(key K) {
	if c.closed.Load() {
		return
	}
	c.c.Del(key)
}

// Wait blocks until earlier Sets are applied (for tests that assert hits).
func (c *Cache[K, V]) Wait() {
	if c.closed.Load() {
		return
	}
	c.c.Wait()
}

// Clear drops every entry.
func (c *Cache[K, V]) Clear() {
	if c.closed.Load() {
		return
	}
	c.clearing.Store(true)
	c.c.Clear()
	c.clearing.Store(false)
}

// Close marks the cache closed and releases its goroutines after a grace
// period. It is safe to call more than once and concurrently with the other
// methods.
func (c *Cache[K, V]) Close() {
	if c.closed.Swap(true) {
		return
	}
	time.AfterFunc(closeGrace, c.c.Close)
}

// NewDigestKeyed returns a cache of about maxCost bytes whose keys are
// SHA-256 digests (as strings). Their bytes are already uniform, so they
// serve as ristretto's two hashes directly instead of being hashed again.
// It assumes entries of about 1 KiB when sizing the admission counters
// (ten per expected entry, ristretto's advice). evicted, if not nil, is
// called, from ristretto's goroutine, for each entry dropped to make room
// for another; expired entries and Clear do not count.
func NewDigestKeyed[V any](maxCost int64, evicted func()) (*Cache[string, V], error) {
	var c *Cache[string, V]
	cfg := &ristretto.Config[string, V]{
		NumCounters: max(maxCost/1024*10, 1000),
		MaxCost:     maxCost,
		BufferItems: 64,
		KeyToHash: func(k string) (uint64, uint64) {
			return binary.LittleEndian.Uint64([]byte(k[:8])), binary.LittleEndian.Uint64([]byte(k[8:16]))
		},
	}
	if evicted != nil {
		// ristretto calls OnEvict for victims of its cost policy, for
		// expired entries, which it hands over with their expiration time,
		// and for every entry on Clear. Only the first are evictions.
		cfg.OnEvict = func(it *ristretto.Item[V]) {
			if it.Expiration.IsZero() && !c.clearing.Load() {
				evicted()
			}
		}
	}
	c, err := New(cfg)
	return c, err
}
