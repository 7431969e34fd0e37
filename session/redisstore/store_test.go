package redisstore_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/session/redisstore"
	"github.com/authgate/authgate/session/sessiontest"
)

// client connects to the Redis named by AUTHGATE_TEST_REDIS. Without it the
// test is skipped on a developer machine and fails in CI, where .ci/run
// starts a Redis: the Redis tests must never skip silently there.
func client(t testing.TB) *redis.Client {
	t.Helper()
	url := sessiontest.RedisURL(t)
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis at AUTHGATE_TEST_REDIS: %v", err)
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

var n atomic.Int64

// prefix keeps each test's keys apart in the shared Redis.
func prefix(t testing.TB) string {
	return fmt.Sprintf("authgate-test:%d:%d:", os.Getpid(), n.Add(1))
}

func TestRedisStoreConforms(t *testing.T) {
	sessiontest.Run(t, func(t *testing.T) session.Store {
		return redisstore.New(client(t), prefix(t))
	})
}
