package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// generation tracks the marker key that tells a Redis holding the store's
// data from one that lost it. Every instance writes the marker (a random
// id) when it is missing and remembers the id it saw. A missing marker, or
// one with another id, means the data the instance relied on is gone: a
// restart without persistence, a FLUSHALL, a failover to a node that never
// had the data, or eviction.
type generation struct {
	mu      sync.Mutex
	id      string    // "" until first read
	lostAt  time.Time // latest loss found; zero: none
	pending bool      // the deny-list write-back after a loss failed
}

func (s *Store) genKey() string { return s.prefix + "gen" }

// current returns the generation id this instance relies on, reading it
// first when it never has.
func (s *Store) current(ctx context.Context) string {
	s.gen.mu.Lock()
	id := s.gen.id
	s.gen.mu.Unlock()
	if id == "" {
		_ = s.check(ctx)
		s.gen.mu.Lock()
		id = s.gen.id
		s.gen.mu.Unlock()
	}
	return id
}

// LostAt returns when this store last found that Redis lost its data
// (zero: never). It implements session.LossReporter.
func (s *Store) LostAt() time.Time {
	s.gen.mu.Lock()
	defer s.gen.mu.Unlock()
	return s.gen.lostAt
}

// observe reacts to the marker value seen in Redis (nil or "" when
// missing). The first value seen is adopted. A later missing or changed
// value is a loss: it is recorded, the in-memory deny-list is written back
// and OnLoss is told. Other callers wait meanwhile, so no request is
// answered from the emptied store before the deny-list is back.
func (s *Store) observe(ctx context.Context, seen any) {
	ctx = context.WithoutCancel(ctx) // recovery must not stop with one request
	g, _ := seen.(string)
	s.gen.mu.Lock()
	defer s.gen.mu.Unlock()
	if g != "" && g == s.gen.id && !s.gen.pending {
		return
	}
	if g == "" {
		// SET NX: instances finding the loss at once agree on one id.
		if err := s.rdb.SetNX(ctx, s.genKey(), newGeneration(), 0).Err(); err != nil {
			return
		}
		var err error
		if g, err = s.rdb.Get(ctx, s.genKey()).Result(); err != nil {
			return
		}
	}
	if s.gen.id == "" {
		s.gen.id = g
		return
	}
	lost := g != s.gen.id
	loss := Loss{At: time.Now()}
	if lost {
		s.gen.id, s.gen.lostAt = g, loss.At
	}
	loss.Restored, loss.Err = s.restoreDenyList(ctx)
	s.gen.pending = loss.Err != nil
	if lost && s.opts.OnLoss != nil {
		s.opts.OnLoss(loss)
	}
}

func newGeneration() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
