package claimsource

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/verifier"
)

// recorder is an Observer that records every report as a line, durations
// left out.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf(format, args...))
}

func (r *recorder) Fetched(claim string, result FetchResult, elapsed time.Duration) {
	if elapsed < 0 || result == FetchThrottled && elapsed != 0 {
		panic("bad latency")
	}
	r.add("fetched %s %s", claim, result)
}

func (r *recorder) Served(claim string, how Serve) { r.add("served %s %s", claim, how) }
func (r *recorder) WriteBackFailed(claim string)   { r.add("write-back failed %s", claim) }

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

func wantEvents(t *testing.T, rec *recorder, want ...string) {
	t.Helper()
	if got := rec.take(); !reflect.DeepEqual(got, want) {
		t.Fatalf("events:\n got %q\nwant %q", got, want)
	}
}

func TestRefresherReportsFetchesAndServes(t *testing.T) {
	clk, rec := newFakeClock(), &recorder{}
	src := &scriptedSource{value: constant([]any{"admin"})}
	r, err := New(Config{Now: clk.Now, Observer: rec, Writer: &recordingWriter{err: errors.New("store down")},
		Claims: []Claim{{Name: "roles", Source: src, MaxAge: 5 * time.Minute, StaleIfError: time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	alice := user("idp", "alice")

	mustRefresh(t, r, alice, policy.NoMaxAge)
	mustRefresh(t, r, alice, policy.NoMaxAge)
	wantEvents(t, rec, "fetched roles ok", "served roles fetch", "served roles cache")

	src.set(nil, errors.New("source down"))
	clk.Advance(6 * time.Minute)
	mustRefresh(t, r, alice, policy.NoMaxAge)
	wantEvents(t, rec, "fetched roles error", "served roles stale")
	clk.Advance(time.Minute)
	if _, _, err := r.Refresh(context.Background(), alice, "roles", policy.NoMaxAge); err == nil {
		t.Fatal("a failing source past the grace refreshed")
	}
	wantEvents(t, rec, "fetched roles error", "served roles error")

	src.set(constant([]any{"admin"}), nil)
	session := user("sessions", "bob")
	session.SessionID = "s1"
	mustRefresh(t, r, session, policy.NoMaxAge)
	wantEvents(t, rec, "fetched roles ok", "served roles fetch", "write-back failed roles")
}

// gatedSource blocks every fetch until release is closed.
type gatedSource struct {
	started chan struct{}
	release chan struct{}
}

func (s *gatedSource) Fetch(ctx context.Context, _ *verifier.Identity) (any, error) {
	s.started <- struct{}{}
	select {
	case <-s.release:
		return "x", nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestRefresherReportsAThrottledFetch(t *testing.T) {
	rec := &recorder{}
	src := &gatedSource{started: make(chan struct{}, 2), release: make(chan struct{})}
	r, err := New(Config{Observer: rec, MaxInFlightPerSubject: 1,
		Claims: []Claim{{Name: "roles", Source: src, MaxAge: time.Minute}, {Name: "groups", Source: src, MaxAge: time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	alice := user("idp", "alice")
	done := make(chan error)
	go func() {
		_, _, err := r.Refresh(context.Background(), alice, "roles", policy.NoMaxAge)
		done <- err
	}()
	<-src.started
	if _, _, err := r.Refresh(context.Background(), alice, "groups", policy.NoMaxAge); err == nil {
		t.Fatal("a second fetch for the subject ran past its cap of one")
	}
	wantEvents(t, rec, "fetched groups throttled", "served groups error")
	close(src.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	wantEvents(t, rec, "fetched roles ok", "served roles fetch")
}

// counter is an Observer that allocates nothing.
type counter struct{ n atomic.Int64 }

func (c *counter) Fetched(string, FetchResult, time.Duration) { c.n.Add(1) }
func (c *counter) Served(string, Serve)                       { c.n.Add(1) }
func (c *counter) WriteBackFailed(string)                     { c.n.Add(1) }

func TestObserverAddsNoAllocationOnACacheHit(t *testing.T) {
	obs := &counter{}
	r, err := New(Config{Observer: obs, Claims: []Claim{
		{Name: "roles", Source: &scriptedSource{value: constant([]any{"admin"})}, MaxAge: time.Hour}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	p, err := policy.Compile([]policy.Spec{spec("roles", policy.OpIncludes, "admin")}, policy.Options{Refresher: r})
	if err != nil {
		t.Fatal(err)
	}
	id := staleUser(time.Now(), "a@example.com")
	evaluateOK(t, p, id)
	// As TestCachedRefreshDoesNotCloneTheIdentityAgain, without observer.
	allocs := testing.AllocsPerRun(200, func() { evaluateOK(t, p, id) })
	if allocs >= 1 || obs.n.Load() < 200 {
		t.Errorf("a cached refresh with an observer allocated %v times per run (%d reports); want under one", allocs, obs.n.Load())
	}
}
