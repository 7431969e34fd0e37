package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/internal/jsonnum"
	"github.com/authgate/authgate/session"
)

// DefaultPrefix is the key prefix used when none is given.
const DefaultPrefix = "authgate:"

// Store is a session.Store in Redis. It does not own the client.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	opts   Options
	gen    generation
	mirror denyMirror
	stop   context.CancelFunc
}

// New returns a store using rdb with keys below prefix (default
// DefaultPrefix) and default options. Close it when done.
func New(rdb redis.UniversalClient, prefix string) *Store {
	return Open(rdb, Options{Prefix: prefix})
}

func (s *Store) tokenKey(h session.Hash) string { return s.prefix + "t:" + h.String() }
func (s *Store) idKey(id string) string         { return s.prefix + "s:" + id }
func (s *Store) userKey(user string) string     { return s.prefix + "u:" + user }
func (s *Store) channel() string                { return s.prefix + "events" }

// Create implements session.Records: the session, its id index and its user
// index entry are written in one MULTI, each with its TTL.
func (s *Store) Create(ctx context.Context, ses *session.Session) error {
	fields, err := encode(ses)
	if err != nil {
		return err
	}
	tk, uk := s.tokenKey(ses.TokenHash), s.userKey(ses.UserID)
	// Touches push PurgeAt forward, up to the absolute expiry plus the same
	// retention: the user index must live that long from the start, or
	// revoke-all would miss a session kept alive by use.
	purge := ses.Expires.Add(ses.PurgeAt.Sub(ses.ExpiresAt())).UnixMilli()
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, tk, fields...)
		p.PExpireAt(ctx, tk, ses.PurgeAt)
		p.Set(ctx, s.idKey(ses.ID), ses.TokenHash.String(), 0)
		p.PExpireAt(ctx, s.idKey(ses.ID), ses.PurgeAt)
		p.ZAdd(ctx, uk, redis.Z{Score: float64(ses.Created.UnixMilli()), Member: ses.ID})
		// The index lives as long as its longest-lived session: NX gives a
		// new key its first TTL, GT only ever extends it.
		p.Do(ctx, "PEXPIREAT", uk, purge, "NX")
		p.Do(ctx, "PEXPIREAT", uk, purge, "GT")
		return nil
	})
	if err != nil {
		return fmt.Errorf("storing session: %w", err)
	}
	return nil
}

// encode flattens a session into hash fields: the versioned record without
// claims ("r"), the times a touch rewrites ("ls", "ie", "pa"), and one field
// per claim ("c:NAME") so that setting one never overwrites another written
// concurrently. The record's format version covers the whole hash.
func encode(ses *session.Session) ([]any, error) {
	base := *ses
	base.Claims = nil
	rec, err := session.MarshalRecord(&base)
	if err != nil {
		return nil, err
	}
	fields := []any{"r", rec, "ls", ses.LastSeen.UnixMilli(), "ie", ses.IdleExpires.UnixMilli(), "pa", ses.PurgeAt.UnixMilli()}
	for name, v := range ses.Claims {
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encoding claim %q: %w", name, err)
		}
		fields = append(fields, "c:"+name, raw)
	}
	return fields, nil
}

func decode(m map[string]string) (*session.Session, error) {
	rec, ok := m["r"]
	if !ok {
		return nil, session.ErrNotFound
	}
	ses, _, err := session.UnmarshalRecord([]byte(rec))
	if err != nil {
		return nil, err
	}
	ses.LastSeen, ses.IdleExpires, ses.PurgeAt = msField(m["ls"]), msField(m["ie"]), msField(m["pa"])
	for k, raw := range m {
		name, ok := strings.CutPrefix(k, "c:")
		if !ok {
			continue
		}
		var v any
		if err := jsonnum.Unmarshal([]byte(raw), &v); err != nil {
			return nil, fmt.Errorf("decoding claim %q: %w", name, err)
		}
		if ses.Claims == nil {
			ses.Claims = map[string]any{}
		}
		ses.Claims[name] = v
	}
	return ses, nil
}

func msField(v string) time.Time {
	n, _ := strconv.ParseInt(v, 10, 64)
	return time.UnixMilli(n).UTC()
}

// ByToken implements session.Records: one round trip.
func (s *Store) ByToken(ctx context.Context, h session.Hash) (*session.Session, error) {
	m, err := s.rdb.HGetAll(ctx, s.tokenKey(h)).Result()
	if err != nil {
		return nil, fmt.Errorf("reading session: %w", err)
	}
	return decode(m)
}

// hashOf returns the token hash of a session id.
func (s *Store) hashOf(ctx context.Context, id string) (session.Hash, error) {
	var h session.Hash
	hex, err := s.rdb.Get(ctx, s.idKey(id)).Result()
	if errors.Is(err, redis.Nil) {
		return h, session.ErrNotFound
	}
	if err != nil {
		return h, fmt.Errorf("reading session index: %w", err)
	}
	return h, h.UnmarshalText([]byte(hex))
}

// ByID implements session.Records.
func (s *Store) ByID(ctx context.Context, id string) (*session.Session, error) {
	h, err := s.hashOf(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.ByToken(ctx, h)
}

// ByUser implements session.Records in three round trips whatever the
// number of sessions: the index, then the id records and the sessions, each
// pipelined. Index members whose session has expired out of Redis are
// removed on the way.
func (s *Store) ByUser(ctx context.Context, userID string) ([]*session.Session, error) {
	uk := s.userKey(userID)
	ids, err := s.rdb.ZRange(ctx, uk, 0, -1).Result()
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	hashes := make([]*redis.StringCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			hashes[i] = p.Get(ctx, s.idKey(id))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("reading session index: %w", err)
	}
	records := make([]*redis.MapStringStringCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, cmd := range hashes {
			if hex, err := cmd.Result(); err == nil {
				records[i] = p.HGetAll(ctx, s.prefix+"t:"+hex)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading sessions: %w", err)
	}
	var out []*session.Session
	var gone []any
	for i, cmd := range records {
		var ses *session.Session
		if cmd != nil {
			if ses, err = decode(cmd.Val()); err != nil && !errors.Is(err, session.ErrNotFound) {
				return nil, err
			}
		}
		if ses == nil {
			gone = append(gone, ids[i])
			continue
		}
		out = append(out, ses)
	}
	if len(gone) > 0 {
		_ = s.rdb.ZRem(ctx, uk, gone...).Err()
	}
	return out, nil
}

// touchScript updates the times of a session only if it still exists, so a
// touch racing a revocation cannot bring the session back.
var touchScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'ls', ARGV[1], 'ie', ARGV[2], 'pa', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
redis.call('PEXPIREAT', KEYS[2], ARGV[3])
return 1`)

// Touch implements session.Records.
func (s *Store) Touch(ctx context.Context, id string, lastSeen, idleExpires, purgeAt time.Time) error {
	h, err := s.hashOf(ctx, id)
	if err != nil {
		return err
	}
	ok, err := touchScript.Run(ctx, s.rdb, []string{s.tokenKey(h), s.idKey(id)},
		lastSeen.UnixMilli(), idleExpires.UnixMilli(), purgeAt.UnixMilli()).Int()
	if err != nil {
		return fmt.Errorf("touching session: %w", err)
	}
	if ok == 0 {
		return session.ErrNotFound
	}
	return nil
}

var setClaimScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`)

// SetClaim implements session.Records and tells other instances.
func (s *Store) SetClaim(ctx context.Context, id, name string, value any) error {
	raw, err := json.Marshal(value)
	if err != nil {
		return fmt.Errorf("encoding claim %q: %w", name, err)
	}
	h, err := s.hashOf(ctx, id)
	if err != nil {
		return err
	}
	ok, err := setClaimScript.Run(ctx, s.rdb, []string{s.tokenKey(h)}, "c:"+name, raw).Int()
	if err != nil {
		return fmt.Errorf("setting claim: %w", err)
	}
	if ok == 0 {
		return session.ErrNotFound
	}
	return s.publish(ctx, h.String())
}

// delClaimScript removes a claim field: 0 when the session is gone, -1
// when it has no such claim.
var delClaimScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return -1 end
return 1`)

// DeleteClaim implements session.Records and tells other instances.
func (s *Store) DeleteClaim(ctx context.Context, id, name string) error {
	h, err := s.hashOf(ctx, id)
	if err != nil {
		return err
	}
	n, err := delClaimScript.Run(ctx, s.rdb, []string{s.tokenKey(h)}, "c:"+name).Int()
	switch {
	case err != nil:
		return fmt.Errorf("deleting claim: %w", err)
	case n == 0:
		return session.ErrNotFound
	case n < 0:
		return session.ErrNoClaim
	}
	return s.publish(ctx, h.String())
}

// Delete implements session.Records and tells other instances. Of
// concurrent deletes of one session exactly one returns it; the others
// get ErrNotFound, as after it: an attest that rotates a session must see
// that a revocation (or another attest) removed it first.
func (s *Store) Delete(ctx context.Context, id string) (*session.Session, error) {
	ses, err := s.ByID(ctx, id)
	if err != nil {
		return nil, err
	}
	n, err := s.remove(ctx, ses)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, session.ErrNotFound // removed since ByID read it
	}
	// Only this token: other instances drop just its entry. A read of it
	// racing this message is cached with its age counted from before the
	// read, so it still lapses within the 1s cache lifetime.
	return ses, s.publish(ctx, ses.TokenHash.String())
}

// remove deletes sessions and their index entries in one MULTI (waiting
// for replicas when configured), and returns how many of their keys it
// deleted: 0 when another caller removed them all first.
func (s *Store) remove(ctx context.Context, all ...*session.Session) (int64, error) {
	dels := make([]*redis.IntCmd, 0, len(all))
	err := s.replicated(ctx, func(c redis.Cmdable) error {
		dels = dels[:0]
		_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for _, ses := range all {
				dels = append(dels, p.Del(ctx, s.tokenKey(ses.TokenHash), s.idKey(ses.ID)))
				p.ZRem(ctx, s.userKey(ses.UserID), ses.ID)
			}
			return nil
		})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("deleting session: %w", err)
	}
	var n int64
	for _, d := range dels {
		n += d.Val()
	}
	return n, nil
}

// DeleteUser implements session.Records and tells other instances.
func (s *Store) DeleteUser(ctx context.Context, userID string) ([]*session.Session, error) {
	all, err := s.ByUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, nil
	}
	if _, err := s.remove(ctx, all...); err != nil {
		return nil, err
	}
	return all, s.publish(ctx, "*")
}

func (s *Store) publish(ctx context.Context, msg string) error {
	if err := s.rdb.Publish(ctx, s.channel(), msg).Err(); err != nil {
		return fmt.Errorf("publishing session change: %w", err)
	}
	return nil
}

// Interface guards: the Manager finds Watcher and LossReporter by type
// assertion, so losing one would fail silently without these.
var (
	_ session.Store        = (*Store)(nil)
	_ session.Watcher      = (*Store)(nil)
	_ session.LossReporter = (*Store)(nil)
)
