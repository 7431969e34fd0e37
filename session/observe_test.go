package session_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

// recorder is a session.Observer and a verifier.Observer that records
// every report as a line, durations left out.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf(format, args...))
}

func (r *recorder) StoreCalled(op session.Op, result session.Result, elapsed time.Duration) {
	if elapsed < 0 {
		panic("negative latency")
	}
	r.add("store %s %s", op, result)
}

func (r *recorder) Revoked(what session.Revocation, sessions int) {
	r.add("revoked %s %d", what, sessions)
}

func (r *recorder) Verified(name string, reason verifier.Reason, cache verifier.CacheResult, _ time.Duration) {
	r.add("verified %q %s %s", name, reason, cache)
}

func (r *recorder) IdentityCacheEvicted()                                   {}
func (r *recorder) KeysRefreshed(verifier.RefreshResult, int)               {}
func (r *recorder) Introspected(string, verifier.CallResult, time.Duration) {}

// take returns the events recorded so far and forgets them.
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

func sessionCookie(tok string) verifier.Credential {
	return verifier.Credential{Source: verifier.Source{Kind: verifier.SourceCookie, Name: "s"}, Value: tok}
}

func TestManagerReportsStoreCallsAndRevocations(t *testing.T) {
	rec := &recorder{}
	c := newClock()
	m := newManager(t, newMapStore(), c, session.Config{CacheTTL: time.Second, MaxPerUser: 1, Observer: rec})
	v := &session.Verifier{Manager: m, Cookie: "s", Observer: rec}
	ctx := context.Background()

	first, _, err := m.Create(ctx, session.NewSession{UserID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	wantEvents(t, rec, "store create ok", "store by_user ok")
	for range 2 {
		if _, err := v.Verify(ctx, sessionCookie(first)); err != nil {
			t.Fatal(err)
		}
		m.Wait()
	}
	wantEvents(t, rec, "store by_token ok", `verified "session" ok miss`, `verified "session" ok hit`)

	c.advance(time.Second)
	second, _, err := m.Create(ctx, session.NewSession{UserID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	wantEvents(t, rec, "store create ok", "store by_user ok", "store delete ok", "revoked over_cap 1")
	_, err = v.Verify(ctx, sessionCookie(first))
	wantReason(t, err, verifier.ReasonSessionRevoked)
	wantEvents(t, rec, "store by_token not_found", `verified "" session_revoked miss`)

	if _, err := m.RevokeToken(ctx, second); err != nil {
		t.Fatal(err)
	}
	wantEvents(t, rec, "store by_token ok", "store delete ok", "revoked token 1")
	if _, err := m.Revoke(ctx, "no-such-id"); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Revoke of an unknown id: %v", err)
	}
	wantEvents(t, rec, "store delete not_found")

	until := c.now.Add(time.Hour)
	for _, d := range []session.Denial{{JTI: "j"}, {Token: "t"}, {Subject: "u"}} {
		d.Until = until
		if _, err := m.Deny(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.RevokeUser(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	wantEvents(t, rec, "store deny ok", "revoked deny_jti 0", "store deny ok", "revoked deny_token 0",
		"store deny ok", "store delete_user ok", "revoked deny_subject 0", "store delete_user ok", "revoked user 0")

	if _, err := m.Use(ctx, "k", until); err != nil {
		t.Fatal(err)
	}
	if err := m.Link(ctx, "k", "v", until); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Linked(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	wantEvents(t, rec, "store once ok", "store link ok", "store linked ok")
}

// downStore is a store whose session reads fail.
type downStore struct{ *mapStore }

func (downStore) ByToken(context.Context, session.Hash) (*session.Session, error) {
	return nil, errors.New("store is down")
}

func TestManagerReportsAFailingStore(t *testing.T) {
	rec := &recorder{}
	m := newManager(t, downStore{newMapStore()}, newClock(), session.Config{Observer: rec})
	v := &session.Verifier{Manager: m, Cookie: "s", Observer: rec}
	tok, _, err := m.Create(context.Background(), session.NewSession{UserID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	rec.take()
	_, err = v.Verify(context.Background(), sessionCookie(tok))
	wantReason(t, err, verifier.ReasonStoreUnavailable)
	wantEvents(t, rec, "store by_token error", `verified "" store_unavailable miss`)
}

// counter is an Observer of both kinds that allocates nothing.
type counter struct{ n atomic.Int64 }

func (c *counter) StoreCalled(session.Op, session.Result, time.Duration)                 { c.n.Add(1) }
func (c *counter) Revoked(session.Revocation, int)                                       { c.n.Add(1) }
func (c *counter) Verified(string, verifier.Reason, verifier.CacheResult, time.Duration) { c.n.Add(1) }
func (c *counter) IdentityCacheEvicted()                                                 {}
func (c *counter) KeysRefreshed(verifier.RefreshResult, int)                             {}
func (c *counter) Introspected(string, verifier.CallResult, time.Duration)               {}

// hitAllocs counts the allocations of verifying a session token the cache
// holds, with obs as both observers when it is not nil.
func hitAllocs(t *testing.T, obs *counter) float64 {
	t.Helper()
	cfg := session.Config{CacheTTL: time.Minute, IdleTimeout: time.Hour}
	v := &session.Verifier{Cookie: "s"}
	if obs != nil {
		cfg.Observer, v.Observer = obs, obs
	}
	v.Manager = newManager(t, newMapStore(), newClock(), cfg)
	ctx := context.Background()
	tok, _, err := v.Manager.Create(ctx, session.NewSession{UserID: "u", Claims: map[string]any{"role": "admin"}})
	if err != nil {
		t.Fatal(err)
	}
	cred := sessionCookie(tok)
	if _, err := v.Verify(ctx, cred); err != nil {
		t.Fatal(err)
	}
	v.Manager.Wait()
	return testing.AllocsPerRun(100, func() {
		if _, err := v.Verify(ctx, cred); err != nil {
			t.Fatal(err)
		}
	})
}

func TestObserverAddsNoAllocationOnACacheHit(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	obs := &counter{}
	none, counted := hitAllocs(t, nil), hitAllocs(t, obs)
	// Two allocations, as before observers existed (measured at 54a23ad).
	if none != 2 || counted != 2 || obs.n.Load() == 0 {
		t.Fatalf("a cache hit allocates %v times without observers and %v with them (%d reports); want 2 and 2", none, counted, obs.n.Load())
	}
}
