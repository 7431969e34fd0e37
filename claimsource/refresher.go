package claimsource

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/ristretto/v2"
	"golang.org/x/sync/singleflight"

	"github.com/authgate/authgate/claims"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/verifier"
)

// Defaults of Config.
const (
	DefaultTimeout     = 2 * time.Second
	DefaultCacheBytes  = 16 << 20 // bytes
	DefaultMaxInFlight = 64
)

var errUnknownClaim = errors.New("no claim source for this claim")

// Claim declares one refreshable top-level claim.
type Claim struct {
	// Name is the top-level claim the source refreshes. Validators on it, or
	// on paths inside it ("realm_access.roles" for "realm_access"), refetch
	// it when stale.
	Name string
	// Source fetches the value. Required.
	Source Source
	// MaxAge is the default freshness of validators on the claim that set
	// none, and how long a fetched value is cached. 0: every request.
	MaxAge time.Duration
	// Timeout bounds one fetch, waiting for a fetch slot included.
	// Default: DefaultTimeout.
	Timeout time.Duration
	// StaleIfError is the grace after MaxAge during which a known value
	// (cached, or the token's own) is used while the source fails.
	// Default: 0, none.
	StaleIfError time.Duration
}

// Config configures a Refresher.
type Config struct {
	// Claims are the claim sources; names must be unique and non-empty.
	Claims []Claim
	// CacheBytes bounds the cache of fetched values, in bytes (approximate).
	// Default: DefaultCacheBytes.
	CacheBytes int64
	// MaxInFlight bounds concurrent fetches over all claims and subjects.
	// Default: DefaultMaxInFlight.
	MaxInFlight int
	// MaxInFlightPerSubject bounds concurrent fetches for one subject over
	// all claims; a fetch over it fails at once. Default:
	// DefaultMaxInFlightPerSubject.
	MaxInFlightPerSubject int
	// Writer, if set, receives every freshly fetched value for identities
	// that carry a SessionID (edge sessions), so that other gateway
	// instances see it. Default: nil, no write-back.
	Writer Writer
	// Observer, if set, is told of every fetch and how every refresh was
	// answered.
	Observer Observer
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// Writer stores a refreshed claim value back into the gateway session
// an identity came from (identities with a SessionID), so that every
// gateway instance sharing the session store sees it. The
// refresher calls it after a successful fetch; a write failure does not
// fail the request, since the value was fetched and is fresh.
type Writer interface {
	WriteClaim(ctx context.Context, id *verifier.Identity, claim string, value any, fetched time.Time) error
}

// Refresher is the policy.Refresher behind `claim` blocks.
// Fetched values are cached per (verifier, subject, claim), so equal
// subjects of two verifiers never share one; concurrent misses for one key
// make one call (max age 0 excepted: every request makes its own); and at
// most MaxInFlight calls run at once. It is safe for concurrent use.
type Refresher struct {
	claims   map[string]*claimSource
	byLength []*claimSource // longest name first, for Source
	cache    *ristretto.Cache[uint64, cachedClaim]
	seed     maphash.Seed // for cache key hashes
	flight   singleflight.Group
	// closing guards Close against concurrent cache use: ristretto panics
	// on a Get or Set racing its Close, and a Wait during Close never
	// returns.
	closing sync.RWMutex
	closed  bool
	slots   chan struct{}
	// freshMu guards fresh (max-age-0 fetches per key) and perSubject
	// (fetches in flight per verifier and subject).
	freshMu       sync.Mutex
	fresh         map[string]*freshKey
	perSubject    map[string]int
	maxPerSubject int
	writer        Writer
	obs           Observer
	now           func() time.Time
	// systemClock is true when now is time.Now (Config.Now
	// unset): Evaluate's own reading of it may then stand in for now().
	systemClock bool
}

// claimSource is a provisioned Claim.
type claimSource struct {
	Claim
	variant func(*verifier.Identity) (string, error) // nil: subject alone
}

// New checks cfg and builds the refresher. Close releases its
// cache.
func New(cfg Config) (*Refresher, error) {
	r := &Refresher{claims: map[string]*claimSource{}, writer: cfg.Writer,
		obs: cfg.Observer, now: cfg.Now, seed: maphash.MakeSeed(), systemClock: cfg.Now == nil}
	if r.now == nil {
		r.now = time.Now
	}
	for _, c := range cfg.Claims {
		if err := r.add(c); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(r.byLength, func(i, j int) bool { return len(r.byLength[i].Name) > len(r.byLength[j].Name) })
	n := cfg.MaxInFlight
	if n <= 0 {
		n = DefaultMaxInFlight
	}
	r.slots = make(chan struct{}, n)
	r.fresh, r.perSubject = map[string]*freshKey{}, map[string]int{}
	r.maxPerSubject = cfg.MaxInFlightPerSubject
	if r.maxPerSubject <= 0 {
		r.maxPerSubject = DefaultMaxInFlightPerSubject
	}
	cache, err := newClaimCache(cfg.CacheBytes)
	if err != nil {
		return nil, err
	}
	r.cache = cache
	return r, nil
}

func (r *Refresher) add(c Claim) error {
	switch {
	case c.Name == "" || strings.ContainsRune(c.Name, 0):
		return fmt.Errorf("claim source name %q is not valid", c.Name)
	case r.claims[c.Name] != nil:
		return fmt.Errorf("claim source %q declared twice", c.Name)
	case c.Source == nil:
		return fmt.Errorf("claim source %q has no source", c.Name)
	case c.MaxAge < 0 || c.Timeout < 0 || c.StaleIfError < 0:
		return fmt.Errorf("claim source %q: durations must not be negative", c.Name)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	cs := &claimSource{Claim: c}
	if v, ok := c.Source.(interface {
		Variant(*verifier.Identity) (string, error)
	}); ok {
		cs.variant = v.Variant
	}
	r.claims[c.Name] = cs
	r.byLength = append(r.byLength, cs)
	return nil
}

// Close stops the cache's goroutines, after any cache use in progress. A
// refresh after Close (a request still running on a replaced config) still
// works, uncached.
func (r *Refresher) Close() {
	r.closing.Lock()
	r.closed = true
	r.closing.Unlock()
	r.cache.Close()
}

// Wait blocks until pending cache writes are applied (tests).
func (r *Refresher) Wait() { r.cache.Wait() }

// Source reports the claim source backing path: the longest claim name
// that path equals or lies inside ("realm_access.roles" in "realm_access"),
// with its max age.
func (r *Refresher) Source(path string) (string, time.Duration, bool) {
	for _, c := range r.byLength {
		if path == c.Name || strings.HasPrefix(path, c.Name) && path[len(c.Name)] == '.' {
			return c.Name, c.MaxAge, true
		}
	}
	return "", 0, false
}

// Refresh returns claim's value for id: from the cache when no older than
// maxAge (policy.NoMaxAge: the claim's max age; 0: never from the cache), else
// from the source. When the source fails, the youngest known value (cached,
// or id's own) within maxAge + stale_if_error is returned instead; without
// one the error is returned and the request must fail closed.
func (r *Refresher) Refresh(ctx context.Context, id *verifier.Identity, claim string, maxAge time.Duration) (any, time.Time, error) {
	got, err := r.refresh(ctx, id, claim, maxAge, time.Time{})
	return got.value, got.fetched, err
}

// refreshMemo is Refresh for Evaluate: it reuses Evaluate's clock reading
// now, if any and if r runs on the system clock too, and returns the memo
// of the cached value on a cache hit (else nil).
func (r *Refresher) RefreshMemo(ctx context.Context, id *verifier.Identity, claim string, maxAge time.Duration, now time.Time) (any, *policy.Memo, error) {
	got, err := r.refresh(ctx, id, claim, maxAge, now)
	return got.value, got.memo, err
}

// refresh is Refresh with an optional reading of the system clock (zero:
// read r's clock). Only a cache hit returns the entry's memo.
func (r *Refresher) refresh(ctx context.Context, id *verifier.Identity, claim string, maxAge time.Duration, now time.Time) (cachedClaim, error) {
	c := r.claims[claim]
	if c == nil {
		return cachedClaim{}, errUnknownClaim
	}
	if maxAge < 0 {
		maxAge = c.MaxAge
	}
	key, err := r.key(c, id)
	if err != nil {
		return r.fallback(c, id, cachedClaim{}, false, maxAge, err)
	}
	cached, found := r.lookup(key)
	if found && maxAge > 0 {
		if now.IsZero() || !r.systemClock {
			now = r.now()
		}
		if now.Sub(cached.fetched) <= maxAge {
			r.served(c.Name, ServedCache)
			return cached, nil
		}
	}
	got, hit, err := r.fetch(ctx, c, id, key, maxAge)
	if err != nil {
		return r.fallback(c, id, cached, found, maxAge, err)
	}
	r.served(c.Name, servedBy(hit))
	r.writeBack(ctx, id, claim, got)
	got.memo = nil
	return got, nil
}

// key identifies the cached value of c for id: the verifier that produced
// the identity, the claim, what else the source URL depends on (Variant),
// and the subject: the one canonical subject keys every claim lookup.
func (r *Refresher) key(c *claimSource, id *verifier.Identity) (claimKey, error) {
	k := claimKey{verifier: id.Verifier, claim: c.Name, subject: id.Subject}
	if c.variant != nil {
		v, err := c.variant(id)
		if err != nil {
			return claimKey{}, err
		}
		k.variant = v
	}
	return k, nil
}

// writeBack stores a fresh value into the identity's session. A failure
// is counted, not returned: the value itself is good.
func (r *Refresher) writeBack(ctx context.Context, id *verifier.Identity, claim string, got cachedClaim) {
	if r.writer == nil || id.SessionID == "" {
		return
	}
	if dry, _ := verifier.DryRunOf(ctx); dry {
		return // an explanation changes no session
	}
	if err := r.writer.WriteClaim(ctx, id, claim, got.value, got.fetched); err != nil {
		r.writeBackFailed(claim)
	}
}

// fallback applies stale_if_error after a failed fetch: the youngest of
// the cached value and id's own value, if within maxAge + StaleIfError.
// It returns no memo: only a plain cache hit carries one.
func (r *Refresher) fallback(c *claimSource, id *verifier.Identity, cached cachedClaim, found bool, maxAge time.Duration, cause error) (cachedClaim, error) {
	now := r.now()
	limit := maxAge + c.StaleIfError
	var best cachedClaim
	ok := false
	if found && now.Sub(cached.fetched) <= limit {
		best, ok = cached, true
	}
	if raw, has := id.Claims[c.Name]; has {
		if t, known := claims.FetchedAt(raw, id.IssuedAt, id.ClaimTimesTrusted, now); known && now.Sub(t) <= limit && (!ok || t.After(best.fetched)) {
			plain, _, _ := claims.Unwrap(raw)
			best, ok = cachedClaim{value: plain, fetched: t}, true
		}
	}
	if !ok {
		r.served(c.Name, ServedNone)
		return cachedClaim{}, cause
	}
	r.served(c.Name, ServedStale)
	return cachedClaim{value: best.value, fetched: best.fetched}, nil
}
