package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/verifier/session"
)

// denyScript stores max(old, new) as the value and extends the TTL only.
var denyScript = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local v = math.max(cur, tonumber(ARGV[1]))
redis.call('SET', KEYS[1], v)
redis.call('PEXPIREAT', KEYS[1], ARGV[2], 'NX')
redis.call('PEXPIREAT', KEYS[1], ARGV[2], 'GT')
return v`)

// Deny implements session.Store and tells other instances.
func (s *Store) Deny(ctx context.Context, d session.Denial) error {
	key, val := s.prefix+"dj:"+d.JTI, d.Until.UnixMilli()
	if d.JTI == "" {
		key, val = s.prefix+"ds:"+d.Subject, d.At.UnixMilli()
	}
	if err := denyScript.Run(ctx, s.rdb, []string{key}, val, d.Until.UnixMilli()).Err(); err != nil {
		return fmt.Errorf("storing deny-list entry: %w", err)
	}
	return s.publish(ctx, "*")
}

// Denied implements session.Store: one round trip.
func (s *Store) Denied(ctx context.Context, jti, subject string) (session.DenyState, error) {
	var st session.DenyState
	vals, err := s.rdb.MGet(ctx, s.prefix+"dj:"+jti, s.prefix+"ds:"+subject).Result()
	if err != nil {
		return st, fmt.Errorf("reading deny-list: %w", err)
	}
	st.JTI = jti != "" && vals[0] != nil
	if v, ok := vals[1].(string); ok && subject != "" {
		n, _ := strconv.ParseInt(v, 10, 64)
		st.SubjectBefore = time.UnixMilli(n).UTC()
	}
	return st, nil
}

// Once implements session.Store.
func (s *Store) Once(ctx context.Context, key string, until time.Time) (bool, error) {
	ttl := time.Until(until)
	if ttl < time.Millisecond {
		ttl = time.Millisecond
	}
	err := s.rdb.SetArgs(ctx, s.prefix+"o:"+key, "1", redis.SetArgs{Mode: "NX", TTL: ttl}).Err()
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("recording one-time key: %w", err)
	}
	return true, nil
}
