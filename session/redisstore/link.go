package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/session"
)

func (s *Store) linkKey(key string) string { return s.prefix + "l:" + key }

// Link implements session.Markers: one SET with PXAT, so Redis drops the
// link at until on its own. An until already past (PXAT must be positive)
// removes the key at once.
func (s *Store) Link(ctx context.Context, key, value string, until time.Time) error {
	at := max(until.UnixMilli(), 1)
	if err := s.rdb.Do(ctx, "SET", s.linkKey(key), value, "PXAT", at).Err(); err != nil {
		return fmt.Errorf("storing link: %w", err)
	}
	return nil
}

// Linked implements session.Markers.
func (s *Store) Linked(ctx context.Context, key string) (string, error) {
	v, err := s.rdb.Get(ctx, s.linkKey(key)).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return "", session.ErrNotFound
	case err != nil:
		return "", fmt.Errorf("reading link: %w", err)
	}
	return v, nil
}
