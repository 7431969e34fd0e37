package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/session"
)

// denyScript stores max(old, new) as the value and only ever extends the
// TTL (KEEPTTL, then NX for a new key and GT for a later until); it lists
// the entry in the deny-list index (scored by until, expired members
// dropped) and bumps the deny-list version, so other instances reload
// their in-memory copies.
//
//	KEYS: entry, index, version   ARGV: value, until, index member, now (ms)
var denyScript = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local v = math.max(cur, tonumber(ARGV[1]))
redis.call('SET', KEYS[1], v, 'KEEPTTL')
redis.call('PEXPIREAT', KEYS[1], ARGV[2], 'NX')
redis.call('PEXPIREAT', KEYS[1], ARGV[2], 'GT')
redis.call('ZADD', KEYS[2], 'GT', ARGV[2], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[4])
redis.call('INCR', KEYS[3])
return v`)

func (s *Store) denyKeys(member string) []string {
	return []string{s.prefix + member, s.denyIndexKey(), s.denyVersionKey()}
}

// Deny implements session.DenyStore and tells other instances. The entry is
// kept in memory too (see denyMirror).
func (s *Store) Deny(ctx context.Context, d session.Denial) error {
	member, val := "dj:"+d.JTI, d.Until.UnixMilli()
	switch {
	case d.Token != "":
		member = "dt:" + d.Token
	case d.JTI == "":
		member, val = "ds:"+d.Subject, d.At.UnixMilli()
	}
	s.mirror.put(member, val, d.Until.UnixMilli())
	err := s.replicated(ctx, func(c redis.Cmdable) error {
		return denyScript.Run(ctx, c, s.denyKeys(member), val, d.Until.UnixMilli(), member, time.Now().UnixMilli()).Err()
	})
	if err != nil {
		return fmt.Errorf("storing deny-list entry: %w", err)
	}
	return s.publish(ctx, "*")
}

// Denied implements session.DenyStore: one round trip, which also reads the
// generation marker (a loss is found on the first lookup after it). The
// in-memory deny-list is merged in, so entries Redis lost still count.
func (s *Store) Denied(ctx context.Context, q session.DenyQuery) (session.DenyState, error) {
	jti, subject := q.JTI, q.Subject
	var st session.DenyState
	vals, err := s.rdb.MGet(ctx, s.prefix+"dj:"+jti, s.prefix+"ds:"+subject, s.genKey(), s.prefix+"dt:"+q.Token).Result()
	if err != nil {
		return st, fmt.Errorf("reading deny-list: %w", err)
	}
	if g, _ := vals[2].(string); g == "" || g != s.current(ctx) {
		s.observe(ctx, vals[2])
	}
	now := time.Now()
	_, memJTI := s.mirror.get("dj:"+jti, now)
	st.JTI = jti != "" && (vals[0] != nil || memJTI)
	_, memTok := s.mirror.get("dt:"+q.Token, now)
	st.Token = q.Token != "" && (vals[3] != nil || memTok)
	if subject == "" {
		return st, nil
	}
	before, _ := s.mirror.get("ds:"+subject, now)
	if v, ok := vals[1].(string); ok {
		n, _ := strconv.ParseInt(v, 10, 64)
		before = max(before, n)
	}
	if before > 0 {
		st.SubjectBefore = time.UnixMilli(before).UTC()
	}
	return st, nil
}

// onceScript records a one-time marker, refusing (-1) when the generation
// marker is not the one this instance relies on: after a loss the marker
// is gone, and so is every one-time key recorded before it.
//
//	KEYS: marker, generation   ARGV: ttl (ms), generation id
var onceScript = redis.NewScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return -1 end
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 1 end
return 0`)

// Once implements session.Markers. A loss found on the way is handled
// (see observe) before the marker is recorded in the new generation; the
// caller then refuses credentials issued before LostAt.
func (s *Store) Once(ctx context.Context, key string, until time.Time) (bool, error) {
	ttl := max(time.Until(until), time.Millisecond).Milliseconds()
	for attempt := 0; ; attempt++ {
		var n int64
		err := s.replicated(ctx, func(c redis.Cmdable) error {
			var err error
			n, err = onceScript.Run(ctx, c, []string{s.prefix + "o:" + key, s.genKey()}, ttl, s.current(ctx)).Int64()
			return err
		})
		switch {
		case err != nil && !errors.Is(err, redis.Nil):
			return false, fmt.Errorf("recording one-time key: %w", err)
		case n >= 0:
			return n == 1, nil
		case attempt > 0:
			return false, errors.New("recording one-time key: the generation marker keeps changing")
		}
		g, err := s.rdb.Get(ctx, s.genKey()).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return false, fmt.Errorf("reading generation marker: %w", err)
		}
		s.observe(ctx, g)
	}
}
