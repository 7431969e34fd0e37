package boltstore

import (
	"context"

	bolt "go.etcd.io/bbolt"
)

// Ping fails once the store's file is closed. A bolt file is local: an
// open one always answers, so ctx is not needed.
func (s *Store) Ping(context.Context) error {
	return s.db.View(func(*bolt.Tx) error { return nil })
}
