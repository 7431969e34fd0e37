package redisstore

import (
	"context"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/session"
)

// pingEvery is how long the subscription may be silent before it is
// probed: a dead connection is noticed (and the cache flushed) this fast.
const pingEvery = 2 * time.Second

// Watch implements session.Watcher. The subscription runs until ctx ends;
// every (re)subscription and every connection error drops all cached
// entries, since messages sent meanwhile are lost.
func (s *Store) Watch(ctx context.Context, fn func(session.Event)) {
	ps := s.rdb.Subscribe(ctx, s.channel())
	go func() {
		defer ps.Close()
		for ctx.Err() == nil {
			msg, err := ps.ReceiveTimeout(ctx, pingEvery)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				if isTimeout(err) {
					if perr := ps.Ping(ctx); perr == nil {
						continue
					}
				}
				fn(session.Event{All: true})
				sleep(ctx, 100*time.Millisecond)
				continue
			}
			switch m := msg.(type) {
			case *redis.Subscription:
				fn(session.Event{All: true})
			case *redis.Message:
				fn(parse(m.Payload))
			}
		}
	}()
}

func parse(payload string) session.Event {
	if payload == "*" {
		return session.Event{All: true}
	}
	var e session.Event
	for _, part := range strings.Split(payload, ",") {
		var h session.Hash
		if h.UnmarshalText([]byte(part)) != nil {
			return session.Event{All: true}
		}
		e.Tokens = append(e.Tokens, h)
	}
	return e
}

func isTimeout(err error) bool {
	t, ok := err.(interface{ Timeout() bool })
	return ok && t.Timeout()
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
