package boltstore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestSweepRemovesLapsedLinks checks what the conformance suite cannot see:
// a replaced link leaves one expiry index entry, and the sweep deletes the
// record of a lapsed link while keeping live ones.
func TestSweepRemovesLapsedLinks(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "sessions.db"), Options{SweepInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, now := context.Background(), time.Now()
	for _, l := range []struct {
		key, value string
		until      time.Time
	}{
		{"lapsing", "a", now.Add(time.Hour)},
		{"lapsing", "b", now.Add(time.Second)}, // replaces the hour
		{"live", "c", now.Add(2 * time.Hour)},
	} {
		if err := s.Link(ctx, l.key, l.value, l.until); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.Sweep(now.Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want 1 (the lapsed link's only index entry)", n, err)
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bLinks).Get([]byte("lapsing")) != nil {
			t.Error("the lapsed link's record survived the sweep")
		}
		if tx.Bucket(bLinks).Get([]byte("live")) == nil {
			t.Error("the sweep removed a live link")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.Linked(ctx, "live"); err != nil || v != "c" {
		t.Fatalf("Linked(live) = %q, %v; want c", v, err)
	}
}
