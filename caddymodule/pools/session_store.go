package pools

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/session/boltstore"
	"github.com/authgate/authgate/session/redisstore"
)

// sessionStores shares open stores across config reloads, keyed by type
// and path or URL. A reload starts the new config before it stops and
// cleans up the old one: a second bolt.Open of the same file would wait
// for the old config's lock, and a second Redis pool would double
// connections, so the new config takes the store the old one holds.
var sessionStores = caddy.NewUsagePool()

// pooledStore is a store plus what closing it takes.
type pooledStore struct {
	session.Store
	closeFn func() error
}

// Destruct closes the store when the last config using it is cleaned up.
func (p *pooledStore) Destruct() error { return p.closeFn() }

// BoltOpenTimeout bounds the wait for the bolt file lock (held by another
// process): starting fails instead of hanging.
const BoltOpenTimeout = 3 * time.Second

// StoreOpener opens the shared store of a configuration. Provision builds
// it and checks what can be checked without opening anything; Start opens
// the store, so that provisioning alone (`caddy validate`) never takes the
// bolt file lock or connects to Redis.
type StoreOpener struct {
	Key  string // pool key: type and path, or the Redis settings
	open func() (caddy.Destructor, error)
}

// Load returns the shared store, opening it if no config holds it yet.
// The caller releases it with Release.
func (o StoreOpener) Load() (session.Store, error) {
	val, _, err := sessionStores.LoadOrNew(o.Key, o.open)
	if err != nil {
		return nil, err
	}
	// The bare store, not the wrapper: the Manager looks for
	// session.Watcher and session.LossReporter on it.
	return val.(*pooledStore).Store, nil
}

// Release gives back one use of the shared store taken by Load; the store
// closes when the last config using it releases it.
func (o StoreOpener) Release() error {
	_, err := sessionStores.Delete(o.Key)
	return err
}

// SessionStoreOpener checks sc and returns how to open its store. log
// receives the Redis store's server checks and loss reports.
func SessionStoreOpener(log redisstore.Logger, sc *config.SessionStoreConfig) (StoreOpener, error) {
	repl := caddy.NewReplacer()
	switch sc.Type {
	case "bolt":
		path := repl.ReplaceKnown(sc.Path, "")
		if path == "" {
			path = DefaultSessionPath()
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return StoreOpener{}, fmt.Errorf("session store path: %w", err)
		}
		return StoreOpener{Key: "bolt|" + abs, open: func() (caddy.Destructor, error) {
			st, err := boltstore.Open(abs, boltstore.Options{Timeout: BoltOpenTimeout})
			if err != nil {
				return nil, err
			}
			return &pooledStore{Store: st, closeFn: st.Close}, nil
		}}, nil
	case "redis":
		return redisStoreOpener(log, sc)
	}
	return StoreOpener{}, fmt.Errorf("session store type %q: want bolt or redis", sc.Type)
}

// DefaultSessionPath is the bolt file used when none is configured.
func DefaultSessionPath() string {
	return filepath.Join(caddy.AppDataDir(), "authgate", "sessions.db")
}
