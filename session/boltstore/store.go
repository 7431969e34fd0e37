package boltstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/authgate/authgate/internal/jsonnum"
	"github.com/authgate/authgate/session"
)

var (
	bSessions = []byte("sessions") // id → JSON session
	bTokens   = []byte("tokens")   // token hash → id
	bUsers    = []byte("users")    // user \x00 id → nil
	bExpiry   = []byte("expiry")   // be64(purge ms) kind key → nil
	bDenyJTI  = []byte("deny_jti") // jti → be64(until ms)
	bDenySub  = []byte("deny_sub") // sub → be64(at ms) be64(until ms)
	bDenyTok  = []byte("deny_tok") // token key → be64(until ms)
	bOnce     = []byte("once")     // key → be64(until ms)
	bLinks    = []byte("links")    // key → be64(until ms) value
)

// Kinds of expiry index entries.
const (
	kSession byte = 's'
	kDenyJTI byte = 'j'
	kDenySub byte = 'u'
	kDenyTok byte = 't'
	kOnce    byte = 'o'
	kLink    byte = 'l'
)

// Options configures Open.
type Options struct {
	// Timeout bounds the wait for the file lock, so that a second process
	// (or a config that was not cleaned up) fails instead of hanging.
	// Default: 5s.
	Timeout time.Duration
	// SweepInterval is how often expired records are purged. Default: 1m.
	SweepInterval time.Duration
	// SweepBatch bounds the records purged per transaction. Default: 1000.
	SweepBatch int
}

// Store is a session.Store in a bbolt file.
type Store struct {
	db   *bolt.DB
	opts Options
	stop chan struct{}
	done sync.WaitGroup
}

// Open opens (creating if needed) the store at path and starts its sweeper.
func Open(path string, opts Options) (*Store, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.SweepInterval <= 0 {
		opts.SweepInterval = time.Minute
	}
	if opts.SweepBatch <= 0 {
		opts.SweepBatch = 1000
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating session store directory: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout})
	if err != nil {
		return nil, fmt.Errorf("opening session store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bSessions, bTokens, bUsers, bExpiry, bDenyJTI, bDenySub, bDenyTok, bOnce, bLinks} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("initializing session store: %w", err)
	}
	s := &Store{db: db, opts: opts, stop: make(chan struct{})}
	s.done.Add(1)
	go s.sweeper()
	return s, nil
}

// Close stops the sweeper and closes the file.
func (s *Store) Close() error {
	close(s.stop)
	s.done.Wait()
	return s.db.Close()
}

// Create implements session.Records.
func (s *Store) Create(_ context.Context, ses *session.Session) error {
	rec, err := session.MarshalRecord(ses)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bSessions).Get([]byte(ses.ID)) != nil {
			return fmt.Errorf("session id %s exists", ses.ID)
		}
		return putSession(tx, ses, rec)
	})
}

func putSession(tx *bolt.Tx, ses *session.Session, rec []byte) error {
	id := []byte(ses.ID)
	return errors.Join(
		tx.Bucket(bSessions).Put(id, rec),
		tx.Bucket(bTokens).Put(ses.TokenHash[:], id),
		tx.Bucket(bUsers).Put(userKey(ses.UserID, ses.ID), nil),
		tx.Bucket(bExpiry).Put(expiryKey(ses.PurgeAt, kSession, id), nil),
	)
}

// ByToken implements session.Records.
func (s *Store) ByToken(_ context.Context, h session.Hash) (*session.Session, error) {
	var out *session.Session
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bTokens).Get(h[:])
		if id == nil {
			return session.ErrNotFound
		}
		var err error
		out, err = getSession(tx, id)
		return err
	})
	return out, err
}

// ByID implements session.Records.
func (s *Store) ByID(_ context.Context, id string) (*session.Session, error) {
	var out *session.Session
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = getSession(tx, []byte(id))
		return err
	})
	return out, err
}

// getSession decodes a session. Records past PurgeAt that the sweeper has
// not reached yet are reported as gone, as Redis would.
func getSession(tx *bolt.Tx, id []byte) (*session.Session, error) {
	ses, err := loadSession(tx, id)
	if err == nil && !time.Now().Before(ses.PurgeAt) {
		return nil, session.ErrNotFound
	}
	return ses, err
}

// loadSession decodes a session, purgeable or not.
func loadSession(tx *bolt.Tx, id []byte) (*session.Session, error) {
	rec := tx.Bucket(bSessions).Get(id)
	if rec == nil {
		return nil, session.ErrNotFound
	}
	ses, _, err := session.UnmarshalRecord(rec)
	return ses, err
}

// ByUser implements session.Records.
func (s *Store) ByUser(_ context.Context, userID string) ([]*session.Session, error) {
	var out []*session.Session
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := userKey(userID, "")
		c := tx.Bucket(bUsers).Cursor()
		for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
			ses, err := getSession(tx, k[len(prefix):])
			if errors.Is(err, session.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			out = append(out, ses)
		}
		return nil
	})
	sortByCreated(out)
	return out, err
}

// Touch implements session.Records. It is batched: concurrent touches of
// different sessions share one commit (and one fsync).
func (s *Store) Touch(_ context.Context, id string, lastSeen, idleExpires, purgeAt time.Time) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		return update(tx, []byte(id), func(ses *session.Session) {
			ses.LastSeen, ses.IdleExpires, ses.PurgeAt = lastSeen, idleExpires, purgeAt
		})
	})
}

// SetClaim implements session.Records.
func (s *Store) SetClaim(_ context.Context, id, name string, value any) error {
	raw, err := json.Marshal(value)
	if err != nil {
		return fmt.Errorf("encoding claim %q: %w", name, err)
	}
	var v any
	if err := jsonnum.Unmarshal(raw, &v); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		return update(tx, []byte(id), func(ses *session.Session) {
			if ses.Claims == nil {
				ses.Claims = map[string]any{}
			}
			ses.Claims[name] = v
		})
	})
}

// DeleteClaim implements session.Records.
func (s *Store) DeleteClaim(_ context.Context, id, name string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		ses, err := getSession(tx, []byte(id))
		if err != nil {
			return err
		}
		if _, ok := ses.Claims[name]; !ok {
			return session.ErrNoClaim
		}
		return update(tx, []byte(id), func(ses *session.Session) { delete(ses.Claims, name) })
	})
}

// update rewrites a session record, moving its expiry index entry.
func update(tx *bolt.Tx, id []byte, change func(*session.Session)) error {
	ses, err := getSession(tx, id)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bExpiry).Delete(expiryKey(ses.PurgeAt, kSession, id)); err != nil {
		return err
	}
	change(ses)
	rec, err := session.MarshalRecord(ses)
	if err != nil {
		return err
	}
	return putSession(tx, ses, rec)
}

// Delete implements session.Records.
func (s *Store) Delete(_ context.Context, id string) (*session.Session, error) {
	var out *session.Session
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		out, err = deleteSession(tx, []byte(id))
		return err
	})
	return out, err
}

// deleteSession removes a session and its index entries. A session past
// PurgeAt is removed too but reported as not found.
func deleteSession(tx *bolt.Tx, id []byte) (*session.Session, error) {
	ses, err := loadSession(tx, id)
	if err != nil {
		return nil, err
	}
	err = errors.Join(
		tx.Bucket(bSessions).Delete(id),
		tx.Bucket(bTokens).Delete(ses.TokenHash[:]),
		tx.Bucket(bUsers).Delete(userKey(ses.UserID, ses.ID)),
		tx.Bucket(bExpiry).Delete(expiryKey(ses.PurgeAt, kSession, id)),
	)
	if err == nil && !time.Now().Before(ses.PurgeAt) {
		return nil, session.ErrNotFound
	}
	return ses, err
}

// DeleteUser implements session.Records.
func (s *Store) DeleteUser(_ context.Context, userID string) ([]*session.Session, error) {
	var out []*session.Session
	err := s.db.Update(func(tx *bolt.Tx) error {
		prefix := userKey(userID, "")
		var ids [][]byte
		c := tx.Bucket(bUsers).Cursor()
		for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
			ids = append(ids, append([]byte(nil), k[len(prefix):]...))
		}
		for _, id := range ids {
			ses, err := deleteSession(tx, id)
			if errors.Is(err, session.ErrNotFound) {
				_ = tx.Bucket(bUsers).Delete(userKey(userID, string(id)))
				continue
			}
			if err != nil {
				return err
			}
			out = append(out, ses)
		}
		return nil
	})
	return out, err
}

func userKey(userID, id string) []byte {
	return append(append([]byte(userID), 0), id...)
}

func expiryKey(t time.Time, kind byte, key []byte) []byte {
	k := make([]byte, 9, 9+len(key))
	binary.BigEndian.PutUint64(k, uint64(max(t.UnixMilli(), 0)))
	k[8] = kind
	return append(k, key...)
}

func hasPrefix(b, prefix []byte) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == string(prefix)
}

// Interface guards
var _ session.Store = (*Store)(nil)
