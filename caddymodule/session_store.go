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
func loadSessionStore(_ caddy.Context, logger *zap.Logger, sc *config.SessionStoreConfig) (session.Store, string, error) {
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
		return loadRedisStore(logger, sc)
	}
	return nil, "", fmt.Errorf("session store type %q: want bolt or redis", sc.Type)
}
