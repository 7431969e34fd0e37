package verifier

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/authgate/authgate/internal/safecache"
)

var (
	errInactive      = errors.New("session service says the token is not active")
	errNotAToken     = errors.New("credential cannot be a token of this session service")
	errBusy          = errors.New("too many introspection calls in flight")
	errRateLimited   = errors.New("introspection call rate limit reached")
	errFlightStopped = errors.New("introspection call failed unexpectedly")
)

// negativeCost is the cache cost of an inactive answer: a key and a time.
const negativeCost = 96

// introspection is one answer of the session service, as cached. The entry
// carries its own expiry: ristretto's Set is asynchronous and its TTL sweep
// coarse, so the entry is the authority on how long it may be used.
type introspection struct {
	id      *Identity // nil: inactive
	expires time.Time
	// badSubject marks an active answer whose subject holds control
	// characters: refused as malformed, never inactive.
	badSubject bool
	// issued is the token's issue time the answer reported at
	// IssuedAtPath; zero when it reported none.
	issued time.Time
}

func (r introspection) outcome() (*Identity, error) {
	if r.badSubject {
		return nil, Reject(ReasonMalformed, errors.New("introspection subject holds control characters"))
	}
	if r.id == nil {
		return nil, Reject(ReasonInactive, errInactive)
	}
	return r.id, nil
}

func newIntrospectCache(maxCost int64) (*safecache.Cache[string, introspection], error) {
	c, err := safecache.NewDigestKeyed[introspection](maxCost, nil)
	if err != nil {
		return nil, fmt.Errorf("creating introspection cache: %w", err)
	}
	return c, nil
}

// Verify checks an opaque credential with the session service. A credential
// that cannot be a token of the service (empty, bytes outside visible
// ASCII, outside the configured length or pattern) is refused as malformed
// without a call, matching ErrNotResponsible; an inactive answer is
// rejected as inactive; a client over its budget of calls gets
// ReasonRateLimited; a service that cannot be asked, or answers in a way
// that proves nothing, makes the check unavailable. The returned Identity
// is read-only; its Subject is the service's subject after
// SubjectTemplate, so equal subjects of two services stay two users.
func (v *IntrospectVerifier) Verify(ctx context.Context, cred Credential) (*Identity, error) {
	obs := v.cfg.Observer
	var start time.Time
	if obs != nil {
		start = time.Now()
	}
	id, hit, err := v.verify(ctx, cred)
	name := ""
	if err == nil {
		name = v.cfg.Name
		NoteCache(ctx, hit)
	}
	if obs == nil {
		return id, err
	}
	obs.Verified(name, ReportedReason(err), CacheResultOf(hit), time.Since(start))
	return id, err
}

// verify is Verify without the report; hit says the cache answered.
func (v *IntrospectVerifier) verify(ctx context.Context, cred Credential) (*Identity, bool, error) {
	if err := v.checkShape(cred.Value); err != nil {
		return nil, false, err
	}
	id, hit, err := v.check(ctx, cred.Value, ClientOf(ctx))
	if err != nil {
		return nil, hit, err
	}
	if err := v.checkIntrospectedBinding(id); err != nil {
		return nil, hit, err
	}
	if v.cfg.SubjectTemplate == "{sub}" {
		return id, hit, nil
	}
	c := *id // shallow: the claims stay shared and read-only
	c.Subject = strings.ReplaceAll(v.cfg.SubjectTemplate, "{sub}", id.Subject)
	return &c, hit, nil
}

// Recheck implements Rechecker: the token (a JWT whose signature the caller
// has verified) is checked as an opaque credential would be, and shares its
// cache, but is held to neither the credential shape nor a client budget.
func (v *IntrospectVerifier) Recheck(ctx context.Context, token string) (*Identity, error) {
	id, _, err := v.check(ctx, token, "")
	return id, err
}

// check answers from the cache (hit), or makes (or joins) a call charged
// to client's budget.
func (v *IntrospectVerifier) check(ctx context.Context, token, client string) (id *Identity, hit bool, err error) {
	if err := v.checkToken(token); err != nil {
		return nil, false, err
	}
	key := cacheKey(v.cfg.Name, token)
	if r, ok := v.cached(key); ok {
		id, err := r.outcome()
		return id, true, err
	}
	if dry, fetch := DryRunOf(ctx); dry && !fetch {
		return nil, false, ErrWouldCall
	}
	spent, err := v.spend(key, client)
	if err != nil {
		return nil, false, err
	}
	id, err = v.await(ctx, key, token)
	if spent && err == nil {
		v.refund(client)
	}
	return id, false, err
}

// await runs or joins the one flight for key and waits for its answer.
func (v *IntrospectVerifier) await(ctx context.Context, key, token string) (*Identity, error) {
	// The call runs detached from this request: a client hanging up must
	// not fail the other requests waiting on the same flight.
	detached := context.WithoutCancel(ctx)
	ch := v.flights.DoChan(key, func() (any, error) {
		defer v.charged.Delete(key)
		return v.introspect(detached, key, token)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(introspection).outcome()
	case <-ctx.Done():
		return nil, Unavailable(ReasonIntrospectionUnavailable, fmt.Errorf("waiting for introspection: %w", ctx.Err()))
	}
}

// checkToken refuses, without a call, what cannot be a token of the
// service. Forwarded cookies also exclude the characters a cookie value may
// not hold, so a token can never add a cookie to the call.
func (v *IntrospectVerifier) checkToken(token string) error {
	if len(token) > v.cfg.MaxTokenBytes {
		return Reject(ReasonTooLarge, fmt.Errorf("token is larger than %d bytes", v.cfg.MaxTokenBytes))
	}
	cookie := v.cfg.Forward != nil && v.cfg.Forward.Kind == SourceCookie
	for i := 0; i < len(token); i++ {
		if c := token[i]; c < 0x21 || c > 0x7e || (cookie && !cookieOctet(c)) {
			return Reject(ReasonMalformed, fmt.Errorf("%w: %w", errNotAToken, ErrNotResponsible))
		}
	}
	if token == "" {
		return Reject(ReasonMalformed, fmt.Errorf("%w: %w", errNotAToken, ErrNotResponsible))
	}
	return nil
}

// cookieOctet reports whether c may appear in a cookie value (RFC 6265
// section 4.1.1): visible ASCII but for '"', ',', ';' and '\'.
func cookieOctet(c byte) bool {
	return c != '"' && c != ',' && c != ';' && c != '\\'
}

func (v *IntrospectVerifier) cached(key string) (introspection, bool) {
	r, ok := v.cache.Get(key)
	if !ok || !v.cfg.Now().Before(r.expires) {
		return introspection{}, false
	}
	return r, true
}

// introspect is one flight: it asks the service and caches the answer. It
// looks at the cache again first, so a request that missed the cache just
// before an earlier flight stored its answer does not call a second time.
func (v *IntrospectVerifier) introspect(ctx context.Context, key, token string) (r introspection, err error) {
	defer func() {
		// singleflight re-panics in a goroutine of its own, which would
		// take the whole process down.
		if p := recover(); p != nil {
			r, err = introspection{}, Unavailable(ReasonIntrospectionUnavailable, fmt.Errorf("%w: %v", errFlightStopped, p))
		}
	}()
	if r, ok := v.cached(key); ok {
		return r, nil
	}
	ctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	defer cancel()
	if r, err = v.observedCall(ctx, token); err != nil {
		return r, err
	}
	if dry, _ := DryRunOf(ctx); !dry {
		v.store(key, r)
	}
	return r, nil
}

// store caches an answer until its expiry and waits until the cache has
// taken it, so the flight's followers and later requests find it.
func (v *IntrospectVerifier) store(key string, r introspection) {
	ttl := r.expires.Sub(v.cfg.Now())
	if ttl <= 0 {
		return
	}
	cost := int64(negativeCost)
	if r.id != nil {
		cost = identityCost(r.id)
	}
	v.closing.RLock()
	defer v.closing.RUnlock()
	if !v.closed && v.cache.SetWithTTL(key, r, cost, ttl) {
		v.cache.Wait()
	}
}

// acquire takes a slot among MaxConcurrent and a token of the rate limiter,
// waiting no longer than ctx allows. The returned func frees the slot.
func (v *IntrospectVerifier) acquire(ctx context.Context) (func(), error) {
	select {
	case v.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, &UnavailableError{Reason: ReasonIntrospectionUnavailable, RetryAfter: time.Second, Err: errBusy}
	}
	if err := v.limiter.Wait(ctx); err != nil {
		<-v.slots
		return nil, &UnavailableError{Reason: ReasonIntrospectionUnavailable, RetryAfter: time.Second, Err: errRateLimited}
	}
	return func() { <-v.slots }, nil
}
