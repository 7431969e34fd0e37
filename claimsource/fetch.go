package claimsource

import (
	"context"
	"fmt"
	"hash/maphash"
	"time"

	"github.com/dgraph-io/ristretto/v2"

	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/verifier"
)

// claimKey is what a cached value belongs to. Distinct verifiers never
// share a key, so equal subjects of two issuers never share a value.
type claimKey struct {
	verifier, claim, variant, subject string
}

// String joins the key for singleflight. Verifier and claim names are
// configuration without NUL, the variant is a URL (no raw NUL) and the
// subject comes last, so distinct keys never join to one string.
func (k claimKey) String() string {
	return k.verifier + "\x00" + k.claim + "\x00" + k.variant + "\x00" + k.subject
}

// hash is the ristretto key of k: a seeded 64-bit hash, computed without
// allocating. Collisions are harmless: every hit compares the full key.
func (r *Refresher) hash(k claimKey) uint64 {
	var h maphash.Hash
	h.SetSeed(r.seed)
	h.WriteString(k.verifier)
	h.WriteByte(0)
	h.WriteString(k.claim)
	h.WriteByte(0)
	h.WriteString(k.variant)
	h.WriteByte(0)
	h.WriteString(k.subject)
	return h.Sum64()
}

// cachedClaim is one fetched value. It carries its own fetch time and key:
// ristretto's Set is asynchronous and its TTL sweep coarse, so the entry is
// the authority on its age, and the full key is compared on every hit so
// that a hash collision can never hand one subject another's value.
type cachedClaim struct {
	key     claimKey
	value   any
	fetched time.Time
	memo    *policy.Memo // shared by every copy of one stored entry
}

// flightResult is what a shared fetch hands every caller waiting on it.
type flightResult struct {
	claim cachedClaim
	hit   bool // found in the cache by the flight itself
}

func newClaimCache(maxCost int64) (*ristretto.Cache[uint64, cachedClaim], error) {
	if maxCost <= 0 {
		maxCost = DefaultCacheBytes
	}
	c, err := ristretto.NewCache(&ristretto.Config[uint64, cachedClaim]{
		// Ten counters per expected entry (ristretto's advice), assuming
		// entries of about 256 bytes.
		NumCounters: max(maxCost/256*10, 1000),
		MaxCost:     maxCost,
		BufferItems: 64,
	})
	if err != nil {
		return nil, fmt.Errorf("creating claim cache: %w", err)
	}
	return c, nil
}

// lookup returns the cached entry for key, if any, whatever its age.
func (r *Refresher) lookup(key claimKey) (cachedClaim, bool) {
	r.closing.RLock()
	defer r.closing.RUnlock()
	if r.closed {
		return cachedClaim{}, false
	}
	e, ok := r.cache.Get(r.hash(key))
	if !ok || e.key != key {
		return cachedClaim{}, false
	}
	return e, true
}

// fetch gets a new value from c's source. Concurrent callers for one key
// share one call; with max age 0, where every request must see a value
// fetched after it arrived, they share the next call to start. hit says
// the shared call found the value in the cache after all.
func (r *Refresher) fetch(ctx context.Context, c *claimSource, id *verifier.Identity, key claimKey, maxAge time.Duration) (got cachedClaim, hit bool, err error) {
	if maxAge == 0 {
		got, err = r.fetchFresh(ctx, c, id, key)
		return got, false, err
	}
	ch := r.flight.DoChan(key.String(), func() (v any, err error) {
		defer recoverFetch(&err)
		// A caller that missed the cache just before another flight for
		// this key stored its value finds that value here.
		if e, ok := r.lookup(key); ok && r.now().Sub(e.fetched) <= maxAge {
			return flightResult{claim: e, hit: true}, nil
		}
		// The flight outlives any one caller: it is bounded by the
		// claim's timeout, not by the first caller's request.
		e, err := r.load(context.WithoutCancel(ctx), c, id, key, maxAge)
		return flightResult{claim: e}, err
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return cachedClaim{}, false, res.Err
		}
		fr := res.Val.(flightResult)
		if fr.claim.key != key || fr.hit && r.now().Sub(fr.claim.fetched) > maxAge {
			// Never hand one identity's value to another, even if two
			// keys ever joined to one flight name; nor a value older
			// than this caller accepts, which the flight found cached.
			got, err = r.load(ctx, c, id, key, maxAge)
			return got, false, err
		}
		return fr.claim, fr.hit, nil
	case <-ctx.Done():
		return cachedClaim{}, false, fmt.Errorf("waiting for claim source: %w", ctx.Err())
	}
}

// load makes one call to c's source, within c's timeout and one of the
// refresher's fetch slots, and caches the result. The fetch time is taken
// before the call, so a value never looks fresher than it is.
func (r *Refresher) load(ctx context.Context, c *claimSource, id *verifier.Identity, key claimKey, maxAge time.Duration) (cachedClaim, error) {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	release, err := r.subjectSlot(key)
	if err != nil {
		r.throttled(c.Name)
		return cachedClaim{}, err
	}
	defer release()
	select {
	case r.slots <- struct{}{}:
		defer func() { <-r.slots }()
	case <-ctx.Done():
		r.throttled(c.Name)
		return cachedClaim{}, fmt.Errorf("waiting for a fetch slot: %w", ctx.Err())
	}
	start := r.now()
	began := r.began()
	v, err := c.Source.Fetch(ctx, id)
	r.fetched(c.Name, err, began)
	if err != nil {
		return cachedClaim{}, fmt.Errorf("fetching: %w", err)
	}
	e := cachedClaim{key: key, value: v, fetched: start, memo: new(policy.Memo)}
	if dry, _ := verifier.DryRunOf(ctx); !dry {
		r.store(e, max(c.MaxAge, maxAge)+c.StaleIfError)
	}
	return e, nil
}

// store caches e for ttl (real time; ages are still checked against the
// entry) and waits until the write is visible, so that a request arriving
// after a fetch finds its value rather than starting another.
func (r *Refresher) store(e cachedClaim, ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	r.closing.RLock()
	defer r.closing.RUnlock()
	if r.closed {
		return
	}
	cost := valueCost(e.value) + int64(len(e.key.verifier)+len(e.key.claim)+len(e.key.variant)+len(e.key.subject)) + 96
	if r.cache.SetWithTTL(r.hash(e.key), e, cost, ttl) {
		r.cache.Wait()
	}
}

// recoverFetch turns a panic in a claim source into an error: a shared
// fetch runs on its own goroutine, where a panic would end the process.
func recoverFetch(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("claim source panicked: %v", p)
	}
}

// valueCost estimates the bytes a decoded JSON value holds, for the
// cache's cost bound. Values are bounded by the source's limits.
func valueCost(v any) int64 {
	switch x := v.(type) {
	case string:
		return 16 + int64(len(x))
	case map[string]any:
		n := int64(48)
		for k, e := range x {
			n += 48 + int64(len(k)) + valueCost(e)
		}
		return n
	case []any:
		n := int64(24)
		for _, e := range x {
			n += 16 + valueCost(e)
		}
		return n
	}
	return 16
}
