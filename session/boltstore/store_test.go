package boltstore_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/session/boltstore"
	"github.com/authgate/authgate/session/sessiontest"
)

func open(t *testing.T) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "sessions.db"), boltstore.Options{SweepInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBoltStoreConforms(t *testing.T) {
	sessiontest.Run(t, func(t *testing.T) session.Store { return open(t) })
}

func TestSecondOpenOfALockedFileTimesOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.db")
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	if _, err := boltstore.Open(path, boltstore.Options{Timeout: 100 * time.Millisecond}); err == nil {
		t.Fatal("second Open succeeded while the file is locked")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("second Open took %v, want about the timeout", d)
	}
}
