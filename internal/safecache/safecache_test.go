package safecache

import (
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/ristretto/v2"
)

func newCache(t *testing.T) *Cache[string, int] {
	t.Helper()
	c, err := New(&ristretto.Config[string, int]{NumCounters: 1000, MaxCost: 1 << 20, BufferItems: 64})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCacheWorksLikeRistretto(t *testing.T) {
	c := newCache(t)
	defer c.Close()
	c.SetWithTTL("a", 1, 1, time.Minute)
	c.Wait()
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Fatalf("Get = %v, %v; want 1, true", v, ok)
	}
	c.Del("a")
	if _, ok := c.Get("a"); ok {
		t.Fatal("Get after Del hit")
	}
}

func TestCacheIsInertAfterClose(t *testing.T) {
	c := newCache(t)
	c.SetWithTTL("a", 1, 1, time.Minute)
	c.Wait()
	c.Close()
	c.Close()
	if c.SetWithTTL("b", 2, 1, time.Minute) {
		t.Error("Set after Close reported success")
	}
	if _, ok := c.Get("a"); ok {
		t.Error("Get after Close hit")
	}
	c.Wait()
	c.Clear()
	c.Del("a")
}

// TestCloseRacingUsersDoesNotPanic hammers a cache from several goroutines
// while it is closed; with bare ristretto this panics with "send on closed
// channel" within a few iterations.
func TestCloseRacingUsersDoesNotPanic(t *testing.T) {
	defer func(g time.Duration) { closeGrace = g }(closeGrace)
	// The grace period must outlast any descheduling between a caller's
	// closed check and its ristretto call; under -race on a loaded machine
	// 20 ms did not (production waits 30 s).
	closeGrace = 500 * time.Millisecond
	for round := 0; round < 50; round++ {
		c := newCache(t)
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					c.SetWithTTL("k", i, 1, time.Minute)
					c.Get("k")
				}
			}()
		}
		time.Sleep(time.Millisecond)
		c.Close()
		close(stop)
		wg.Wait()
	}
	time.Sleep(closeGrace + 100*time.Millisecond) // let the delayed closes run
}

func TestDigestKeyedCountsEntriesDroppedForRoomOnly(t *testing.T) {
	var evicted atomic.Int32
	c, err := NewDigestKeyed[int](2000, func() { evicted.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 100 {
		sum := sha256.Sum256([]byte{byte(i)})
		c.SetWithTTL(string(sum[:]), i, 100, time.Hour)
		c.Wait()
	}
	full := evicted.Load()
	if full == 0 {
		t.Fatal("no eviction counted after 100 entries in room for about 10")
	}
	c.Clear()
	if n := evicted.Load() - full; n != 0 {
		t.Fatalf("Clear counted %d evictions; want none", n)
	}
}
