package redisstore

import "context"

// Ping sends Redis a PING within ctx's deadline.
func (s *Store) Ping(ctx context.Context) error {
	return s.rdb.Ping(ctx).Err()
}
