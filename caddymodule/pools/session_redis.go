package pools

import (
	"errors"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/session/redisstore"
)

// redisClientOptions are the client settings of sc with placeholders replaced.
func redisClientOptions(sc *config.SessionStoreConfig) redisstore.ClientOptions {
	repl := caddy.NewReplacer()
	ro := sc.Redis
	if ro == nil {
		ro = &config.RedisOptions{}
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

// redisStoreOpener checks sc and returns how to open its Redis store.
func redisStoreOpener(log redisstore.Logger, sc *config.SessionStoreConfig) (StoreOpener, error) {
	if sc.URL == "" && (sc.Redis == nil || sc.Redis.Sentinel == nil) {
		return StoreOpener{}, errors.New("session store: redis needs a url or a sentinel block")
	}
	co := redisClientOptions(sc)
	// Building a client connects to nothing (go-redis dials on the first
	// command), so a bad URL or CA file fails `caddy validate` too.
	rdb, err := redisstore.NewClient(co)
	if err != nil {
		return StoreOpener{}, err
	}
	_ = rdb.Close()
	var so redisstore.Options
	if sc.Redis != nil {
		so.WaitReplicas, so.WaitTimeout = sc.Redis.WaitReplicas, time.Duration(sc.Redis.WaitTimeout)
	}
	return StoreOpener{Key: redisstore.PoolKey(co, so), open: func() (caddy.Destructor, error) {
		rdb, err := redisstore.NewClient(co)
		if err != nil {
			return nil, err
		}
		so.OnLoss = redisstore.LogLoss(log)
		redisstore.CheckServer(log, rdb)
		st := redisstore.Open(rdb, so)
		return &pooledStore{Store: st, closeFn: func() error { st.Close(); return rdb.Close() }}, nil
	}}, nil
}

// StoreTimeout is the deadline of a session read shared by concurrent
// requests: the Redis timeout with Redis, the Manager default otherwise.
func StoreTimeout(sc *config.SessionStoreConfig) time.Duration {
	if sc.Type != "redis" {
		return 0
	}
	if sc.Redis != nil && sc.Redis.Timeout > 0 {
		return time.Duration(sc.Redis.Timeout)
	}
	return redisstore.DefaultTimeout
}
