package caddymodule

import (
	"errors"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

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

// clientOptions are the client settings of sc with placeholders replaced.
func (sc *SessionStoreConfig) clientOptions() redisstore.ClientOptions {
	repl := caddy.NewReplacer()
	ro := sc.Redis
	if ro == nil {
		ro = &RedisOptions{}
	}
	co := redisstore.ClientOptions{
		URL: repl.ReplaceKnown(sc.URL, ""), Timeout: time.Duration(ro.Timeout),
		Username: repl.ReplaceKnown(ro.Username, ""), Password: repl.ReplaceKnown(ro.Password, ""), DB: ro.DB,
	}
	if s := ro.Sentinel; s != nil {
		co.Sentinel = &redisstore.SentinelOptions{
			Master: s.Master, Addrs: make([]string, len(s.Addrs)),
			Username: repl.ReplaceKnown(s.Username, ""), Password: repl.ReplaceKnown(s.Password, ""),
		}
		for i, a := range s.Addrs {
			co.Sentinel.Addrs[i] = repl.ReplaceKnown(a, "")
		}
	}
	if t := ro.TLS; t != nil {
		co.TLS = &redisstore.TLSOptions{ServerName: repl.ReplaceKnown(t.ServerName, ""), CAFile: repl.ReplaceKnown(t.CA, "")}
	}
	return co
}

// loadRedisStore returns the shared Redis store for sc and its pool key.
func loadRedisStore(logger *zap.Logger, sc *SessionStoreConfig) (session.Store, string, error) {
	if sc.URL == "" && (sc.Redis == nil || sc.Redis.Sentinel == nil) {
		return nil, "", errors.New("session store: redis needs a url or a sentinel block")
	}
	co := sc.clientOptions()
	var so redisstore.Options
	if sc.Redis != nil {
		so.WaitReplicas, so.WaitTimeout = sc.Redis.WaitReplicas, time.Duration(sc.Redis.WaitTimeout)
	}
	key := redisstore.PoolKey(co, so)
	val, _, err := sessionStores.LoadOrNew(key, func() (caddy.Destructor, error) {
		rdb, err := redisstore.NewClient(co)
		if err != nil {
			return nil, err
		}
		log := newKVLogger(logger)
		so.OnLoss = redisstore.LogLoss(log)
		redisstore.CheckServer(log, rdb)
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
