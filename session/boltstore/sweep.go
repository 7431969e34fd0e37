package boltstore

import (
	"encoding/binary"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/authgate/authgate/session"
)

func (s *Store) sweeper() {
	defer s.done.Done()
	t := time.NewTicker(s.opts.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			// Purge in bounded batches so a backlog never holds the write
			// lock for long; stop early when asked to.
			for {
				n, err := s.Sweep(time.Now())
				if err != nil || n < s.opts.SweepBatch {
					break
				}
				select {
				case <-s.stop:
					return
				default:
				}
			}
		}
	}
}

// Sweep purges up to SweepBatch records whose expiry index time is before
// now, and returns how many index entries it removed. The index is sorted
// by time, so it reads only what it deletes.
func (s *Store) Sweep(now time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		var due [][]byte
		c := tx.Bucket(bExpiry).Cursor()
		for k, _ := c.First(); k != nil && len(due) < s.opts.SweepBatch; k, _ = c.Next() {
			if int64(binary.BigEndian.Uint64(k[:8])) > now.UnixMilli() {
				break
			}
			due = append(due, append([]byte(nil), k...))
		}
		// Delete after iterating: bbolt cursors do not survive changes.
		for _, k := range due {
			if err := tx.Bucket(bExpiry).Delete(k); err != nil {
				return err
			}
			if err := purge(tx, k[8], k[9:]); err != nil {
				return err
			}
		}
		n = len(due)
		return nil
	})
	return n, err
}

// purge removes the record an expiry index entry pointed to. Every change
// of a record's expiry replaces its index entry, so only records that are
// really due are reached.
func purge(tx *bolt.Tx, kind byte, key []byte) error {
	switch kind {
	case kSession:
		_, err := deleteSession(tx, key)
		if errors.Is(err, session.ErrNotFound) {
			return nil
		}
		return err
	case kDenyJTI:
		return tx.Bucket(bDenyJTI).Delete(key)
	case kDenySub:
		return tx.Bucket(bDenySub).Delete(key)
	case kDenyTok:
		return tx.Bucket(bDenyTok).Delete(key)
	case kOnce:
		return tx.Bucket(bOnce).Delete(key)
	case kLink:
		return tx.Bucket(bLinks).Delete(key)
	}
	return nil
}
