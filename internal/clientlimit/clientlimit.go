// Package clientlimit gives each client of the gateway a budget of its own,
// so that one client cannot spend what all clients share (an outbound rate
// limit, a provider's patience, the log).
//
// A client is an IP address as Caddy resolved it (its client_ip variable,
// which honours trusted_proxies). IPv6 addresses count per /64: one host is
// commonly given a whole /64, so counting single addresses would give it
// 2^64 budgets. The table of clients is bounded; when it is full, clients
// whose budget has refilled are forgotten first (they lose nothing), then
// arbitrary ones.
package clientlimit

import (
	"math"
	"net/netip"
	"sync"
	"time"
)

// DefaultMaxClients bounds a Table's size when New is given no bound.
const DefaultMaxClients = 10000

// sweepEvery is how often a full table may be scanned for refilled buckets;
// between scans a full table evicts an arbitrary entry, in O(1).
const sweepEvery = time.Second

// Key returns the client key of ip, Caddy's client_ip: the address itself
// for IPv4 (IPv4-mapped IPv6 included), its /64 prefix for IPv6. It
// returns "" for text that is not an IP address; such requests are not
// budgeted.
func Key(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	addr = addr.WithZone("").Unmap()
	if addr.Is4() {
		return addr.String()
	}
	p, err := addr.Prefix(64)
	if err != nil {
		return ""
	}
	return p.String()
}

// Table holds one token bucket per client: each holds up to Burst units and
// refills at Rate units per second. It is safe for concurrent use.
type Table struct {
	rate, burst float64
	maxClients  int
	now         func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

// New returns a table refilling rate units per second per client, up to
// burst, remembering at most maxClients clients (DefaultMaxClients when 0
// or less). now is the clock; nil means time.Now.
func New(rate float64, burst, maxClients int, now func() time.Time) *Table {
	if maxClients <= 0 {
		maxClients = DefaultMaxClients
	}
	if now == nil {
		now = time.Now
	}
	return &Table{rate: rate, burst: float64(max(burst, 1)), maxClients: maxClients, now: now,
		buckets: map[string]*bucket{}}
}

// Take spends one unit of client's budget. When none is left it spends
// nothing and returns false with the time until a unit is back.
func (t *Table) Take(client string) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	b := t.bucket(client, now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration(math.Ceil((1 - b.tokens) / t.rate * float64(time.Second)))
	return false, wait
}

// TakeN spends n units of client's budget at once, or none: when fewer
// than n are left it spends nothing and returns false with the time until
// n are back. n above the burst can never be spent and is refused with the
// time to refill the whole burst.
func (t *Table) TakeN(client string, n int) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.bucket(client, t.now())
	need := float64(max(n, 1))
	if need <= b.tokens {
		b.tokens -= need
		return true, 0
	}
	need = min(need, t.burst)
	return false, time.Duration(math.Ceil((need - b.tokens) / t.rate * float64(time.Second)))
}

// Wait returns how long until client has a unit to spend, without
// spending any: 0 when it has one now.
func (t *Table) Wait(client string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.bucket(client, t.now())
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration(math.Ceil((1 - b.tokens) / t.rate * float64(time.Second)))
}

// Refund gives back a unit Take spent, for a use that turned out to cost
// nothing the budget protects.
func (t *Table) Refund(client string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if b, ok := t.buckets[client]; ok {
		b.tokens = min(b.tokens+1, t.burst)
	}
}

// Len returns the number of clients remembered.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.buckets)
}

// bucket returns client's bucket brought up to now, creating it full.
func (t *Table) bucket(client string, now time.Time) *bucket {
	b, ok := t.buckets[client]
	if !ok {
		t.makeRoom(now)
		b = &bucket{tokens: t.burst, at: now}
		t.buckets[client] = b
		return b
	}
	if elapsed := now.Sub(b.at); elapsed > 0 {
		b.tokens = min(b.tokens+elapsed.Seconds()*t.rate, t.burst)
		b.at = now
	}
	return b
}

// makeRoom frees a slot when the table is full: every client whose bucket
// has refilled (at most once per sweepEvery), else one arbitrary client.
func (t *Table) makeRoom(now time.Time) {
	if len(t.buckets) < t.maxClients {
		return
	}
	if now.Sub(t.lastSweep) >= sweepEvery {
		t.lastSweep = now
		for k, b := range t.buckets {
			if b.tokens+now.Sub(b.at).Seconds()*t.rate >= t.burst {
				delete(t.buckets, k)
			}
		}
	}
	for k := range t.buckets {
		if len(t.buckets) < t.maxClients {
			return
		}
		delete(t.buckets, k)
	}
}
