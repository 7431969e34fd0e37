package claimsource

import (
	"time"

	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/verifier"
)

// Peek implements policy.Peeker: the value Refresh would answer from the
// cache for maxAge (policy.NoMaxAge: the claim's max age; 0: never from
// the cache), and when it was fetched. It calls no source and counts
// nothing; ok is false when Refresh would fetch.
func (r *Refresher) Peek(id *verifier.Identity, claim string, maxAge time.Duration) (any, time.Time, bool) {
	c := r.claims[claim]
	if c == nil {
		return nil, time.Time{}, false
	}
	if maxAge < 0 {
		maxAge = c.MaxAge
	}
	if maxAge <= 0 {
		return nil, time.Time{}, false
	}
	key, err := r.key(c, id)
	if err != nil {
		return nil, time.Time{}, false
	}
	cached, found := r.lookup(key)
	if !found || r.now().Sub(cached.fetched) > maxAge {
		return nil, time.Time{}, false
	}
	return cached.value, cached.fetched, true
}

var _ policy.Peeker = (*Refresher)(nil)
