package boltstore

import (
	"context"
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/authgate/authgate/session"
)

// Link implements session.Markers. Unlike deny-list entries, a new link
// replaces both the value and the time of the old one, and moves its
// expiry index entry so the sweeper removes it at the new time only.
func (s *Store) Link(_ context.Context, key, value string, until time.Time) error {
	k := []byte(key)
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bLinks)
		if old := b.Get(k); len(old) >= 8 {
			oldUntil, _ := decodeTimes(old[:8])
			if err := tx.Bucket(bExpiry).Delete(expiryKey(oldUntil, kLink, k)); err != nil {
				return err
			}
		}
		v := binary.BigEndian.AppendUint64(nil, uint64(max(until.UnixMilli(), 0)))
		if err := b.Put(k, append(v, value...)); err != nil {
			return err
		}
		return tx.Bucket(bExpiry).Put(expiryKey(until, kLink, k), nil)
	})
}

// Linked implements session.Markers. Links past their time that the sweeper
// has not reached yet are reported as gone, as Redis would.
func (s *Store) Linked(_ context.Context, key string) (string, error) {
	var value string
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bLinks).Get([]byte(key))
		if len(v) < 8 {
			return session.ErrNotFound
		}
		if until, _ := decodeTimes(v[:8]); !time.Now().Before(until) {
			return session.ErrNotFound
		}
		value = string(v[8:])
		return nil
	})
	return value, err
}
