package caddymodule

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/authgate/authgate/verifier/session"
	"github.com/authgate/authgate/verifier/session/boltstore"
	"github.com/authgate/authgate/verifier/session/redisstore"
)

// sessionStores shares open stores across config reloads, keyed by type
// and path or URL. Caddy provisions the new config before cleaning up the
// old one: a second bolt.Open of the same file would wait for the old
// config's lock forever, and a second Redis pool would double connections.
var sessionStores = caddy.NewUsagePool()

// pooledStore is a store plus what closing it takes.
type pooledStore struct {
	session.Store
	closeFn func() error
}

// Destruct closes the store when the last config using it is cleaned up.
func (p *pooledStore) Destruct() error { return p.closeFn() }

// boltOpenTimeout bounds the wait for the bolt file lock (held by another
// process): provisioning fails instead of hanging.
const boltOpenTimeout = 3 * time.Second

// loadSessionStore returns the shared store for sc and the pool key the
// caller releases in Cleanup.
func loadSessionStore(_ caddy.Context, logger *zap.Logger, sc *SessionStoreConfig) (session.Store, string, error) {
	repl := caddy.NewReplacer()
	switch sc.Type {
	case "bolt":
		path := repl.ReplaceKnown(sc.Path, "")
		if path == "" {
			path = defaultSessionPath()
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, "", fmt.Errorf("session store path: %w", err)
		}
		key := "bolt|" + abs
		val, _, err := sessionStores.LoadOrNew(key, func() (caddy.Destructor, error) {
			st, err := boltstore.Open(abs, boltstore.Options{Timeout: boltOpenTimeout})
			if err != nil {
				return nil, err
			}
			return &pooledStore{Store: st, closeFn: st.Close}, nil
		})
		if err != nil {
			return nil, "", err
		}
		return val.(*pooledStore).Store, key, nil
	case "redis":
		url := repl.ReplaceKnown(sc.URL, "")
		opts, err := redis.ParseURL(url)
		if err != nil {
			// The parse error may quote the URL, password included.
			return nil, "", fmt.Errorf("session store: redis url is not valid")
		}
		failFast(opts)
		key := "redis|" + url
		val, _, err := sessionStores.LoadOrNew(key, func() (caddy.Destructor, error) {
			rdb := redis.NewClient(opts)
			pingRedis(logger, rdb)
			return &pooledStore{Store: redisstore.New(rdb, ""), closeFn: rdb.Close}, nil
		})
		if err != nil {
			return nil, "", err
		}
		// The bare store, not the wrapper: the Manager looks for
		// session.Watcher on it.
		return val.(*pooledStore).Store, key, nil
	}
	return nil, "", fmt.Errorf("session store type %q: want bolt or redis", sc.Type)
}

// failFast shortens go-redis's defaults (3 retries with backoff, 5 dial
// attempts per connection, 5s dial timeout) where the URL does not set them: a request waits on a Redis
// that is down for well under a second before it gets its 503.
func failFast(opts *redis.Options) {
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 1
	}
	if opts.MaxRetryBackoff == 0 {
		opts.MaxRetryBackoff = 100 * time.Millisecond
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = 2 * time.Second
	}
	if opts.DialerRetries == 0 {
		opts.DialerRetries = 1
	}
}

// pingRedis warns when Redis cannot be reached at start. It does not fail
// provisioning: session requests answer 503 until Redis is back.
func pingRedis(logger *zap.Logger, rdb *redis.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		logger.Warn("session store: redis is not reachable; session requests fail with 503 until it is",
			zap.String("addr", rdb.Options().Addr), zap.Error(err))
	}
}
