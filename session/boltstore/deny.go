package boltstore

import (
	"context"
	"encoding/binary"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/authgate/authgate/session"
)

// Deny implements session.DenyStore.
func (s *Store) Deny(_ context.Context, d session.Denial) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		switch {
		case d.JTI != "":
			return putExpiring(tx, bDenyJTI, kDenyJTI, []byte(d.JTI), time.Time{}, d.Until)
		case d.Token != "":
			return putExpiring(tx, bDenyTok, kDenyTok, []byte(d.Token), time.Time{}, d.Until)
		}
		return putExpiring(tx, bDenySub, kDenySub, []byte(d.Subject), d.At, d.Until)
	})
}

// putExpiring stores key with an optional time and an expiry, keeping the
// later of the old and new values of each.
func putExpiring(tx *bolt.Tx, bucket []byte, kind byte, key []byte, at, until time.Time) error {
	b := tx.Bucket(bucket)
	if old := b.Get(key); old != nil {
		oldUntil, oldAt := decodeTimes(old)
		if oldUntil.After(until) {
			until = oldUntil
		}
		if oldAt.After(at) {
			at = oldAt
		}
		if err := tx.Bucket(bExpiry).Delete(expiryKey(oldUntil, kind, key)); err != nil {
			return err
		}
	}
	v := binary.BigEndian.AppendUint64(nil, uint64(until.UnixMilli()))
	if !at.IsZero() {
		v = binary.BigEndian.AppendUint64(v, uint64(at.UnixMilli()))
	}
	if err := b.Put(key, v); err != nil {
		return err
	}
	return tx.Bucket(bExpiry).Put(expiryKey(until, kind, key), nil)
}

// decodeTimes reads an expiry and, if present, a second time.
func decodeTimes(v []byte) (until, at time.Time) {
	until = time.UnixMilli(int64(binary.BigEndian.Uint64(v[:8])))
	if len(v) >= 16 {
		at = time.UnixMilli(int64(binary.BigEndian.Uint64(v[8:16])))
	}
	return until, at
}

// Denied implements session.DenyStore.
func (s *Store) Denied(_ context.Context, q session.DenyQuery) (session.DenyState, error) {
	var st session.DenyState
	now := time.Now()
	err := s.db.View(func(tx *bolt.Tx) error {
		st.JTI = liveEntry(tx.Bucket(bDenyJTI), q.JTI, now)
		st.Token = liveEntry(tx.Bucket(bDenyTok), q.Token, now)
		if q.Subject != "" {
			if v := tx.Bucket(bDenySub).Get([]byte(q.Subject)); v != nil {
				if until, at := decodeTimes(v); now.Before(until) {
					st.SubjectBefore = at.UTC()
				}
			}
		}
		return nil
	})
	return st, err
}

// liveEntry reports whether b holds key with an expiry after now.
func liveEntry(b *bolt.Bucket, key string, now time.Time) bool {
	if key == "" {
		return false
	}
	v := b.Get([]byte(key))
	if v == nil {
		return false
	}
	until, _ := decodeTimes(v)
	return now.Before(until)
}

// Once implements session.Markers.
func (s *Store) Once(_ context.Context, key string, until time.Time) (bool, error) {
	first := false
	err := s.db.Batch(func(tx *bolt.Tx) error {
		first = false
		if v := tx.Bucket(bOnce).Get([]byte(key)); v != nil {
			if old, _ := decodeTimes(v); time.Now().Before(old) {
				return nil
			}
		}
		first = true
		return putExpiring(tx, bOnce, kOnce, []byte(key), time.Time{}, until)
	})
	return first, err
}

// sortByCreated orders sessions oldest first.
func sortByCreated(ss []*session.Session) {
	slices.SortStableFunc(ss, func(a, b *session.Session) int { return a.Created.Compare(b.Created) })
}
