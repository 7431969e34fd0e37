package redisstore

import (
	"context"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/internal/redact"
)

// Logger receives log lines with key-value pairs, as in log/slog. No line
// holds a key, a value or a credential.
type Logger interface {
	Warn(msg string, kv ...any)
	Error(msg string, kv ...any)
}

// CheckServer warns when Redis cannot be reached, and when its settings can
// silently drop what the store keeps. It waits at most 2 seconds and never
// fails: session requests answer 503 until Redis is back.
func CheckServer(log Logger, rdb redis.UniversalClient) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		log.Warn("session store: redis is not reachable; session requests fail with 503 until it is", "error", redact.Error(err))
		return
	}
	// Any eviction policy but noeviction lets Redis drop deny-list entries
	// and one-time markers under memory pressure, without a trace.
	policy, err := rdb.ConfigGet(ctx, "maxmemory-policy").Result()
	switch {
	case err != nil:
		log.Warn("session store: cannot read redis maxmemory-policy; it must be noeviction, or revocations can be evicted", "error", redact.Error(err))
	case policy["maxmemory-policy"] != "noeviction":
		log.Warn("session store: redis maxmemory-policy is not noeviction; under memory pressure redis can evict revocations, reopening revoked tokens",
			"maxmemory_policy", policy["maxmemory-policy"])
	}
	if info, err := rdb.Info(ctx, "cluster").Result(); err == nil && strings.Contains(info, "cluster_enabled:1") {
		log.Error("session store: " + ErrCluster.Error())
	}
}

// LogLoss returns an Options.OnLoss that reports a data loss at error
// level: it means Redis runs without the persistence the store needs.
func LogLoss(log Logger) func(Loss) {
	return func(l Loss) {
		kv := []any{"deny_list_entries_restored", l.Restored, "found_at", l.At}
		if l.Err != nil {
			kv = append(kv, "restore_error", l.Err)
		}
		log.Error("session store: redis lost its data (restarted empty, flushed or evicted): sessions and one-time markers are gone, "+
			"the deny-list was written back from memory, and exchanges and logins begun before now are refused; run redis with appendonly yes and maxmemory-policy noeviction", kv...)
	}
}
