package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/session/redisstore"
	"github.com/authgate/authgate/verifier"
)

// manager is one gateway instance: a Manager over a store on the shared
// prefix, with a cache long enough that only invalidation can end a hit.
func manager(t *testing.T, st *redisstore.Store) *session.Manager {
	t.Helper()
	m, err := session.NewManager(session.Config{Store: st, CacheTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

func refusedSoon(t *testing.T, m *session.Manager, tok, what string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		_, err := m.Authenticate(context.Background(), tok, "")
		if verifier.ReasonOf(err) == verifier.ReasonSessionRevoked {
			return
		}
		if err != nil && verifier.ReasonOf(err) == "" {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: session still accepted from the cache", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRevocationOnOneInstanceInvalidatesTheOthersCache(t *testing.T) {
	rdb, p := client(t), prefix(t)
	a, b := manager(t, redisstore.New(rdb, p)), manager(t, redisstore.New(rdb, p))
	ctx := context.Background()
	// A message sent before B subscribed would be lost (and B's cache
	// lives an hour here): wait until Redis counts both subscribers.
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n, err := rdb.PubSubNumSub(ctx, p+"events").Result()
		if err == nil && n[p+"events"] >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("subscriptions not up: %v %v", n, err)
		}
	}
	tok, s, err := a.Create(ctx, session.NewSession{UserID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Authenticate(ctx, tok, ""); err != nil {
		t.Fatal(err)
	}
	b.Wait()
	if _, err := a.Revoke(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	refusedSoon(t, b, tok, "revocation on A")
	t.Logf("refused on B after %v", time.Since(start))
}

func TestAResubscriptionFlushesTheCache(t *testing.T) {
	rdb, p := client(t), prefix(t)
	st := redisstore.New(rdb, p)
	m := manager(t, st)
	ctx := context.Background()
	tok, _, err := m.Create(ctx, session.NewSession{UserID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Authenticate(ctx, tok, ""); err != nil {
		t.Fatal(err)
	}
	m.Wait()
	// Delete behind the watcher's back: no message is published, as if it
	// had been lost.
	if err := rdb.Del(ctx, p+"t:"+session.HashToken(tok).String()).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Authenticate(ctx, tok, ""); err != nil {
		t.Fatalf("cached session before the reconnect: %v", err)
	}
	if err := rdb.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub").Err(); err != nil {
		t.Fatal(err)
	}
	refusedSoon(t, m, tok, "after the subscription reconnected")
}
