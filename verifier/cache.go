package verifier

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/authgate/authgate/internal/safecache"
)

var errTokenRevoked = errors.New("token is on the deny list")

// IdentityCache holds verification results, bounded by an approximate byte
// cost. It is shared by Cached verifiers; entries are partitioned by their
// Group and expire with the identity they hold.
type IdentityCache struct {
	c   *safecache.Cache[string, cacheEntry]
	obs Observer // nil: nothing is reported
}

// cacheEntry carries its own expiry: ristretto's Set is asynchronous and may
// be dropped, and its TTL is swept in coarse ticks, so the entry itself is
// the authority on how long it may be used.
type cacheEntry struct {
	id      *Identity
	expires time.Time
}

// NewIdentityCache returns a cache holding about maxCost bytes of
// identities. obs, if not nil, is told of evictions and of every
// verification by the Cached verifiers using the cache.
func NewIdentityCache(maxCost int64, obs Observer) (*IdentityCache, error) {
	if maxCost <= 0 {
		return nil, errors.New("creating identity cache: max cost must be positive")
	}
	var evicted func()
	if obs != nil {
		evicted = obs.IdentityCacheEvicted
	}
	c, err := safecache.NewDigestKeyed[cacheEntry](maxCost, evicted)
	if err != nil {
		return nil, fmt.Errorf("creating identity cache: %w", err)
	}
	return &IdentityCache{c: c, obs: obs}, nil
}

// Close stops the cache; later calls miss. Safe while requests still use it.
func (c *IdentityCache) Close() { c.c.Close() }

// Wait blocks until pending writes are applied; tests call it before
// expecting a hit.
func (c *IdentityCache) Wait() { c.c.Wait() }

// Clear drops every cached identity, for example after a key compromise.
func (c *IdentityCache) Clear() { c.c.Clear() }

// Cached is a Verifier that remembers the identities another verified, so
// a repeated credential costs a hash and a lookup: no parsing, no
// signature check, no I/O. Errors are never cached. Build it with
// NewCached. Each verification is reported to the cache's Observer.
type Cached struct {
	next  Verifier
	cache *IdentityCache
	opts  CacheOptions
}

// CacheOptions are the optional settings of a Cached verifier.
type CacheOptions struct {
	// Group partitions the cache, e.g. by the set of verifiers a route
	// accepts, so a token accepted on one route is not thereby accepted on
	// another. It is part of the key.
	Group string
	// MaxTTL bounds how long an entry lives; 0 adds no bound beyond the
	// identity's own ValidUntil/ExpiresAt.
	MaxTTL time.Duration
	// Deny, if set, is consulted on every request, cache hits included.
	Deny DenyList
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// NewCached returns a Verifier that caches the identities next verifies in
// cache, which several Cached verifiers may share (their Groups keep them
// apart). next and cache must not be nil.
func NewCached(next Verifier, cache *IdentityCache, opts CacheOptions) *Cached {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Cached{next: next, cache: cache, opts: opts}
}

// Verify returns the cached identity for cred or asks Next. A hit is used
// only before the entry's expiry: the earliest of the identity's ValidUntil
// (or ExpiresAt) and the time it was cached plus MaxTTL. The returned
// Identity is shared with the cache and must not be modified.
func (c *Cached) Verify(ctx context.Context, cred Credential) (*Identity, error) {
	obs := c.cache.obs
	var start time.Time
	if obs != nil {
		start = time.Now()
	}
	id, hit, err := c.verify(ctx, cred)
	if err == nil {
		NoteCache(ctx, hit)
	}
	if obs != nil {
		name := ""
		if id != nil {
			name = id.Verifier
		}
		obs.Verified(name, ReportedReason(err), CacheResultOf(hit), time.Since(start))
	}
	if err != nil {
		return nil, err
	}
	return id, nil
}

// verify is Verify without the report. On a deny-list refusal it returns
// the identity along with the error, for the report only.
func (c *Cached) verify(ctx context.Context, cred Credential) (id *Identity, hit bool, err error) {
	now := c.opts.Now()
	key := cacheKey(c.opts.Group, cred.Value)
	id = c.lookup(key, now)
	hit = id != nil
	if !hit {
		if id, err = c.next.Verify(ctx, cred); err != nil {
			return nil, false, err
		}
		if dry, _ := DryRunOf(ctx); !dry {
			c.store(key, id, now)
		}
	}
	return id, hit, c.checkDenied(ctx, id)
}

func (c *Cached) lookup(key string, now time.Time) *Identity {
	e, ok := c.cache.c.Get(key)
	if !ok || !now.Before(e.expires) {
		return nil
	}
	return e.id
}

// store caches id until its expiry. An identity with no bound at all (no
// ValidUntil, no ExpiresAt, no MaxTTL) is not cached: it would live forever.
func (c *Cached) store(key string, id *Identity, now time.Time) {
	expires := id.ValidUntil
	if expires.IsZero() {
		expires = id.ExpiresAt
	}
	if c.opts.MaxTTL > 0 {
		expires = earliest(expires, now.Add(c.opts.MaxTTL))
	}
	ttl := expires.Sub(now)
	if expires.IsZero() || ttl <= 0 {
		return
	}
	c.cache.c.SetWithTTL(key, cacheEntry{id: id, expires: expires}, identityCost(id), ttl)
}

func (c *Cached) checkDenied(ctx context.Context, id *Identity) error {
	if c.opts.Deny == nil {
		return nil
	}
	denied, err := c.opts.Deny.Denied(ctx, id)
	switch {
	case err != nil:
		return Unavailable(ReasonStoreUnavailable, fmt.Errorf("checking deny list: %w", err))
	case denied:
		return Reject(ReasonTokenRevoked, errTokenRevoked)
	}
	return nil
}

// cacheKey is SHA-256 over the group, a zero byte and the token. The zero
// byte keeps ("ab","c") and ("a","bc") apart (groups are configuration
// names and never contain one); hashing keeps tokens out of the cache. The
// input is assembled in a pooled buffer so that a hit allocates only the key.
func cacheKey(group, token string) string {
	bp := keyBufs.Get().(*[]byte)
	buf := append(append(append((*bp)[:0], group...), 0), token...)
	sum := sha256.Sum256(buf)
	*bp = buf
	keyBufs.Put(bp)
	return string(sum[:])
}

var keyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}
