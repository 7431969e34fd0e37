package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultCheckEvery is how often a store checks the generation marker and
// the shared deny-list for changes.
const DefaultCheckEvery = time.Second

// Options configures a Store. Zero values mean the defaults.
type Options struct {
	// Prefix is put before every key. Default: DefaultPrefix.
	Prefix string
	// WaitReplicas makes revocations (Delete, DeleteUser, Deny, Once)
	// return only once that many replicas acknowledged them (Redis WAIT),
	// and fail with ErrNotReplicated otherwise. Default: 0 (no wait).
	WaitReplicas int
	// WaitTimeout bounds that wait. Default: 500ms.
	WaitTimeout time.Duration
	// OnLoss is told when the store finds that Redis lost its data (see
	// Loss). It is called from the goroutine that found out.
	OnLoss func(Loss)
	// CheckEvery is how often the generation marker and deny-list version
	// are read in the background. Default: 1s.
	CheckEvery time.Duration
}

// Loss reports that Redis lost the store's data (restarted empty, flushed,
// or replaced by a node that never had it).
type Loss struct {
	// At is when the loss was found: one-time markers recorded before it
	// are gone, so credentials issued before it must not be accepted once.
	At time.Time
	// Restored counts the deny-list entries written back from memory.
	Restored int
	// Err is set when writing them back failed; the next check retries.
	Err error
}

// Open returns a store on rdb and starts its background checks; Close
// stops them. The client stays open: its owner closes it.
func Open(rdb redis.UniversalClient, o Options) *Store {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.WaitTimeout <= 0 {
		o.WaitTimeout = 500 * time.Millisecond
	}
	if o.CheckEvery <= 0 {
		o.CheckEvery = DefaultCheckEvery
	}
	s := &Store{rdb: rdb, prefix: o.Prefix, opts: o}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	go s.monitor(ctx)
	return s
}

// Close implements session.Store: it stops the background checks.
func (s *Store) Close() error {
	s.stop()
	return nil
}

// monitor checks the generation marker and the deny-list version every
// CheckEvery until ctx ends or the client is closed.
func (s *Store) monitor(ctx context.Context) {
	t := time.NewTicker(s.opts.CheckEvery)
	defer t.Stop()
	for {
		if err := s.check(ctx); errors.Is(err, redis.ErrClosed) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// check reads the marker and the deny-list version in one round trip:
// it reacts to a lost generation, and reloads the in-memory deny-list
// when another instance changed it.
func (s *Store) check(ctx context.Context) error {
	vals, err := s.rdb.MGet(ctx, s.genKey(), s.denyVersionKey()).Result()
	if err != nil {
		return err
	}
	s.observe(ctx, vals[0])
	ver, _ := vals[1].(string)
	if ver != s.mirror.version() {
		return s.loadDenyList(ctx, ver)
	}
	return nil
}
