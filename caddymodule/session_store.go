package caddymodule

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/session/boltstore"
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

// boltOpenTimeout bounds the wait for the bolt file lock (held by another
// process): starting fails instead of hanging.
const boltOpenTimeout = 3 * time.Second

// storeOpener opens the shared store of a configuration. Provision builds
// it and checks what can be checked without opening anything; Start opens
// the store, so that provisioning alone (`caddy validate`) never takes the
// bolt file lock or connects to Redis.
type storeOpener struct {
	key  string // pool key: type and path, or the Redis settings
	open func() (caddy.Destructor, error)
}

// load returns the shared store, opening it if no config holds it yet.
// The caller releases it with sessionStores.Delete(o.key).
func (o storeOpener) load() (session.Store, error) {
	val, _, err := sessionStores.LoadOrNew(o.key, o.open)
	if err != nil {
		return nil, err
	}
	// The bare store, not the wrapper: the Manager looks for
	// session.Watcher and session.LossReporter on it.
	return val.(*pooledStore).Store, nil
}

// sessionStoreOpener checks sc and returns how to open its store.
func sessionStoreOpener(logger *zap.Logger, sc *config.SessionStoreConfig) (storeOpener, error) {
	repl := caddy.NewReplacer()
	switch sc.Type {
	case "bolt":
		path := repl.ReplaceKnown(sc.Path, "")
		if path == "" {
			path = defaultSessionPath()
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return storeOpener{}, fmt.Errorf("session store path: %w", err)
		}
		return storeOpener{key: "bolt|" + abs, open: func() (caddy.Destructor, error) {
			st, err := boltstore.Open(abs, boltstore.Options{Timeout: boltOpenTimeout})
			if err != nil {
				return nil, err
			}
			return &pooledStore{Store: st, closeFn: st.Close}, nil
		}}, nil
	case "redis":
		return redisStoreOpener(logger, sc)
	}
	return storeOpener{}, fmt.Errorf("session store type %q: want bolt or redis", sc.Type)
}

// startSessions opens the session store and binds it to the manager's
// deferred store. Until then session lookups answer 503 store_unavailable.
func (a *App) startSessions() error {
	es := a.sessions
	if es == nil || es.store.Bound() {
		return nil
	}
	st, err := es.opener.load()
	if err != nil {
		return err
	}
	if !es.store.Bind(st) {
		_, _ = sessionStores.Delete(es.opener.key)
		return nil
	}
	a.cleanups = append(a.cleanups, func() error { _, err := sessionStores.Delete(es.opener.key); return err })
	return nil
}
