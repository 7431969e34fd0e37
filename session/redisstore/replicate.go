package redisstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// ErrNotReplicated is returned when a revocation was written to the master
// but too few replicas acknowledged it in time: a failover now could lose
// it. The caller answers 503; repeating the revocation is safe.
var ErrNotReplicated = errors.New("redis replicas did not acknowledge the write in time")

// replicated runs fn, a write, and with WaitReplicas set waits until that
// many replicas have it. Redis replication is asynchronous: without the
// wait, a revocation acknowledged by the master can vanish when a replica
// that never received it is promoted. WAIT counts the writes of its own
// connection, so fn and WAIT share one.
func (s *Store) replicated(ctx context.Context, fn func(redis.Cmdable) error) error {
	want := s.opts.WaitReplicas
	if want <= 0 {
		return fn(s.rdb)
	}
	cl, ok := s.rdb.(*redis.Client)
	if !ok {
		return errors.New("waiting for replicas needs a single-node or Sentinel client")
	}
	conn := cl.Conn()
	defer conn.Close()
	if err := fn(conn); err != nil {
		return err
	}
	n, err := conn.Wait(ctx, want, s.opts.WaitTimeout).Result()
	if err != nil {
		return fmt.Errorf("waiting for replicas: %w", err)
	}
	if n < int64(want) {
		return fmt.Errorf("%w (%d of %d)", ErrNotReplicated, n, want)
	}
	return nil
}
