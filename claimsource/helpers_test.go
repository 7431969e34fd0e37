package claimsource

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
)

// fakeClock is an injected clock that tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: now} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// count is a Counter for tests.
type count struct{ n atomic.Int64 }

func (c *count) Add(d int64)  { c.n.Add(d) }
func (c *count) Get() int64   { return c.n.Load() }
func (c *count) Reset() int64 { return c.n.Swap(0) }

// testCounters are five counts of a refresher under test, kept by an
// Observer: calls made, refreshes answered from the cache, failed or
// turned-away calls, stale serves and failed write-backs.
type testCounters struct{ fetches, hits, errors, stale, writeErrors count }

func (tc *testCounters) hooks() Observer { return (*countingObserver)(tc) }

// countingObserver is the Observer behind testCounters.
type countingObserver testCounters

func (o *countingObserver) Fetched(_ string, result FetchResult, _ time.Duration) {
	if result != FetchThrottled {
		o.fetches.Add(1)
	}
	if result != FetchOK {
		o.errors.Add(1)
	}
}

func (o *countingObserver) Served(_ string, how Serve) {
	switch how {
	case ServedCache:
		o.hits.Add(1)
	case ServedStale:
		o.stale.Add(1)
	}
}

func (o *countingObserver) WriteBackFailed(string) { o.writeErrors.Add(1) }

// scriptedSource answers with value (a function of the identity, so tests
// can tell subjects and verifiers apart) or err, and counts its calls.
type scriptedSource struct {
	mu    sync.Mutex
	value func(id *verifier.Identity) any
	err   error
	delay time.Duration // per call; the context still bounds it
	calls atomic.Int64
}

func (s *scriptedSource) Fetch(ctx context.Context, id *verifier.Identity) (any, error) {
	s.calls.Add(1)
	s.mu.Lock()
	value, err, delay := s.value, s.err, s.delay
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err != nil {
		return nil, err
	}
	return value(id), nil
}

func (s *scriptedSource) set(value func(*verifier.Identity) any, err error) {
	s.mu.Lock()
	s.value, s.err = value, err
	s.mu.Unlock()
}

// constant returns a value function that always answers v.
func constant(v any) func(*verifier.Identity) any {
	return func(*verifier.Identity) any { return v }
}

// whoami answers "verifier/subject", so a test sees whose value it got.
func whoami(id *verifier.Identity) any { return id.Verifier + "/" + id.Subject }

// refresherFor builds a refresher with one "roles" claim backed by src.
func refresherFor(t testing.TB, clk *fakeClock, tc *testCounters, c Claim) *Refresher {
	t.Helper()
	if c.Name == "" {
		c.Name = "roles"
	}
	cfg := Config{Claims: []Claim{c}, Now: clk.Now}
	if tc != nil {
		cfg.Observer = tc.hooks()
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(r.Close)
	return r
}

// user is a token identity of verifier v for subject sub, issued an hour
// ago, without the refreshed claim.
func user(v, sub string) *verifier.Identity {
	return &verifier.Identity{Verifier: v, Subject: sub, IssuedAt: ago(time.Hour), Claims: map[string]any{}}
}

// mustRefresh calls Refresh and fails the test on an error.
func mustRefresh(t *testing.T, r *Refresher, id *verifier.Identity, maxAge time.Duration) any {
	t.Helper()
	v, _, err := r.Refresh(context.Background(), id, "roles", maxAge)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	return v
}

// recordingWriter is a Writer that remembers what it was given.
type recordingWriter struct {
	mu     sync.Mutex
	writes []string // "session:claim"
	values []any
	err    error
}

func (w *recordingWriter) WriteClaim(_ context.Context, id *verifier.Identity, claim string, value any, _ time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, id.SessionID+":"+claim)
	w.values = append(w.values, value)
	return w.err
}
