package caddymodule

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/authgate/authgate/internal/redact"
	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/session/redisstore"
)

// RedisOptions are the settings of the redis session store beyond its URL.
type RedisOptions struct {
	// Timeout bounds every call to Redis, retries included; while Redis
	// does not answer, calls fail at once (a circuit opens after 3 failures
	// in a row and lets one probe through each second). Default: 300ms.
	Timeout caddy.Duration `json:"timeout,omitempty"`

	// Sentinel connects through Redis Sentinel instead of the URL's host:
	// the sentinels name the current master and tell of failovers.
	Sentinel *RedisSentinel `json:"sentinel,omitempty"`

	// Username and Password authenticate to the Redis servers when
	// Sentinel is used (with a URL, put them in the URL). Placeholders
	// such as {env.*} are expanded.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`

	// DB is the database number with Sentinel. Default: 0.
	DB int `json:"db,omitempty"`

	// TLS turns TLS on for Sentinel connections (sentinels and servers);
	// with a URL, use rediss://. Default: off.
	TLS *RedisTLS `json:"tls,omitempty"`

	// WaitReplicas makes each revocation (logout, session and subject
	// revocation, deny-list entry, exchanged-token marker) wait until that
	// many replicas have it (Redis WAIT); a revocation not acknowledged
	// within WaitTimeout fails with 503. Default: 0 (do not wait).
	WaitReplicas int `json:"wait_replicas,omitempty"`

	// WaitTimeout bounds that wait. Default: 500ms.
	WaitTimeout caddy.Duration `json:"wait_timeout,omitempty"`
}

// RedisSentinel names the monitored master and its sentinels.
type RedisSentinel struct {
	// Master is the master name the sentinels monitor. Required.
	Master string `json:"master,omitempty"`
	// Addrs are host:port addresses of sentinels. Required.
	Addrs []string `json:"addrs,omitempty"`
	// Username and Password authenticate to the sentinels. Placeholders
	// are expanded.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
}

// RedisTLS configures TLS to Redis.
type RedisTLS struct {
	// ServerName overrides the name checked in the server certificate.
	ServerName string `json:"server_name,omitempty"`
	// CA is a PEM file of the CAs to trust. Default: the system roots.
	CA string `json:"ca,omitempty"`
}

// Defaults of RedisOptions.
const defaultWaitTimeout = 500 * time.Millisecond

// errRedisCluster is the answer to a Redis Cluster configuration.
var errRedisCluster = errors.New("session store: Redis Cluster is not supported (deny-list, one-time and session writes are multi-key scripts and transactions that need one node); use one Redis, or Sentinel for failover")

// redisClient builds the go-redis client for a store config, with every
// call bounded and guarded (see redisstore.Guard), and the store options.
func redisClient(sc *SessionStoreConfig) (redis.UniversalClient, redisstore.Options, error) {
	ro := sc.Redis
	if ro == nil {
		ro = &RedisOptions{}
	}
	repl := caddy.NewReplacer()
	timeout := time.Duration(ro.Timeout)
	if timeout <= 0 {
		timeout = redisstore.DefaultTimeout
	}
	so := redisstore.Options{WaitReplicas: ro.WaitReplicas, WaitTimeout: time.Duration(ro.WaitTimeout)}
	if so.WaitTimeout <= 0 {
		so.WaitTimeout = defaultWaitTimeout
	}
	var rdb *redis.Client
	if ro.Sentinel != nil {
		fo, err := ro.failoverOptions(repl, timeout)
		if err != nil {
			return nil, so, err
		}
		rdb = redis.NewFailoverClient(fo)
	} else {
		opts, err := redis.ParseURL(repl.ReplaceKnown(sc.URL, ""))
		if err != nil {
			// The parse error may quote the URL, password included.
			return nil, so, fmt.Errorf("session store: redis url is not valid")
		}
		redisstore.ConfigureOptions(opts, timeout)
		rdb = redis.NewClient(opts)
	}
	rdb.AddHook(redisstore.NewGuard(redisstore.GuardOptions{Timeout: timeout}))
	return rdb, so, nil
}

// failoverOptions maps the Sentinel settings to go-redis's.
func (ro *RedisOptions) failoverOptions(repl *caddy.Replacer, timeout time.Duration) (*redis.FailoverOptions, error) {
	s := ro.Sentinel
	if s.Master == "" || len(s.Addrs) == 0 {
		return nil, errors.New("session store: sentinel needs a master name and at least one sentinel address")
	}
	addrs := make([]string, len(s.Addrs))
	for i, a := range s.Addrs {
		addrs[i] = repl.ReplaceKnown(a, "")
	}
	// ConfigureOptions works on redis.Options: apply it there and copy the
	// timeouts over, so both kinds of client get the same bounds.
	var o redis.Options
	redisstore.ConfigureOptions(&o, timeout)
	fo := &redis.FailoverOptions{
		MasterName: s.Master, SentinelAddrs: addrs,
		SentinelUsername: repl.ReplaceKnown(s.Username, ""), SentinelPassword: repl.ReplaceKnown(s.Password, ""),
		Username: repl.ReplaceKnown(ro.Username, ""), Password: repl.ReplaceKnown(ro.Password, ""), DB: ro.DB,
		ContextTimeoutEnabled: o.ContextTimeoutEnabled,
		ReadTimeout:           o.ReadTimeout, WriteTimeout: o.WriteTimeout, PoolTimeout: o.PoolTimeout, DialTimeout: o.DialTimeout,
		MaxRetries: o.MaxRetries, MinRetryBackoff: o.MinRetryBackoff, MaxRetryBackoff: o.MaxRetryBackoff, DialerRetries: o.DialerRetries,
	}
	if ro.TLS != nil {
		cfg, err := ro.TLS.config(repl)
		if err != nil {
			return nil, err
		}
		fo.TLSConfig = cfg
	}
	return fo, nil
}

func (t *RedisTLS) config(repl *caddy.Replacer) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: repl.ReplaceKnown(t.ServerName, "")}
	if t.CA == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(repl.ReplaceKnown(t.CA, ""))
	if err != nil {
		return nil, fmt.Errorf("session store: reading redis tls ca: %w", err)
	}
	cfg.RootCAs = x509.NewCertPool()
	if !cfg.RootCAs.AppendCertsFromPEM(pem) {
		return nil, errors.New("session store: redis tls ca holds no PEM certificate")
	}
	return cfg, nil
}

// redisPoolKey identifies a Redis store in the usage pool: the whole
// configuration with placeholders expanded, so a changed setting makes a
// new client. The key stays in memory; it is never logged.
func redisPoolKey(sc *SessionStoreConfig) string {
	raw, _ := json.Marshal(sc)
	return "redis|" + caddy.NewReplacer().ReplaceKnown(string(raw), "")
}

// checkRedis warns when Redis cannot be reached at start, and when its
// settings can silently drop what the store keeps. It does not fail
// provisioning: session requests answer 503 until Redis is back.
func checkRedis(logger *zap.Logger, rdb redis.UniversalClient) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		logger.Warn("session store: redis is not reachable; session requests fail with 503 until it is", zap.Error(redact.Error(err)))
		return
	}
	// Any eviction policy but noeviction lets Redis drop deny-list entries
	// and one-time markers under memory pressure, without a trace.
	policy, err := rdb.ConfigGet(ctx, "maxmemory-policy").Result()
	switch {
	case err != nil:
		logger.Warn("session store: cannot read redis maxmemory-policy; it must be noeviction, or revocations can be evicted", zap.Error(redact.Error(err)))
	case policy["maxmemory-policy"] != "noeviction":
		logger.Warn("session store: redis maxmemory-policy is not noeviction; under memory pressure redis can evict revocations, reopening revoked tokens",
			zap.String("maxmemory_policy", policy["maxmemory-policy"]))
	}
	if info, err := rdb.Info(ctx, "cluster").Result(); err == nil && strings.Contains(info, "cluster_enabled:1") {
		logger.Error("session store: " + errRedisCluster.Error())
	}
}

// loadRedisStore returns the shared Redis store for sc and its pool key.
func loadRedisStore(logger *zap.Logger, sc *SessionStoreConfig) (session.Store, string, error) {
	if sc.URL == "" && (sc.Redis == nil || sc.Redis.Sentinel == nil) {
		return nil, "", errors.New("session store: redis needs a url or a sentinel block")
	}
	key := redisPoolKey(sc)
	val, _, err := sessionStores.LoadOrNew(key, func() (caddy.Destructor, error) {
		rdb, so, err := redisClient(sc)
		if err != nil {
			return nil, err
		}
		so.OnLoss = func(l redisstore.Loss) { logRedisLoss(logger, l) }
		checkRedis(logger, rdb)
		st := redisstore.Open(rdb, so)
		return &pooledStore{Store: st, closeFn: func() error { st.Close(); return rdb.Close() }}, nil
	})
	if err != nil {
		return nil, "", err
	}
	// The bare store, not the wrapper: the Manager looks for
	// session.Watcher and session.LossReporter on it.
	return val.(*pooledStore).Store, key, nil
}

// logRedisLoss reports a data loss found in Redis at error level: it means
// Redis runs without the persistence the store needs.
func logRedisLoss(logger *zap.Logger, l redisstore.Loss) {
	fields := []zap.Field{zap.Int("deny_list_entries_restored", l.Restored), zap.Time("found_at", l.At)}
	if l.Err != nil {
		fields = append(fields, zap.NamedError("restore_error", l.Err))
	}
	logger.Error("session store: redis lost its data (restarted empty, flushed or evicted): sessions and one-time markers are gone, "+
		"the deny-list was written back from memory, and exchanges and logins begun before now are refused; run redis with appendonly yes and maxmemory-policy noeviction", fields...)
}

// storeTimeout is the deadline of a session read shared by concurrent
// requests: the Redis timeout with Redis, the Manager default otherwise.
func (sc *SessionStoreConfig) storeTimeout() time.Duration {
	if sc.Type != "redis" {
		return 0
	}
	if sc.Redis != nil && sc.Redis.Timeout > 0 {
		return time.Duration(sc.Redis.Timeout)
	}
	return redisstore.DefaultTimeout
}
