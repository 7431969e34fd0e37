package pools

import (
	"context"
	"fmt"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/caddymodule/metrics"
	"github.com/authgate/authgate/internal/redact"
	"github.com/authgate/authgate/verifier"
)

// keyPool shares remote key sources across config reloads. Caddy provisions
// a new config before cleaning up the old one; keying fetchers by URL and
// options lets the new config reuse the old fetcher (and its cached keys)
// instead of starting a second refresh loop against the identity provider.
var keyPool = caddy.NewUsagePool()

// pooledKeys is a remote key source whose refresh loop stops when the last
// config using it is cleaned up.
type pooledKeys struct {
	*verifier.RemoteKeySource
	cancel context.CancelFunc
}

// Destruct stops the background refresh.
func (p *pooledKeys) Destruct() error {
	p.cancel()
	return nil
}

// LoadRemoteKeys returns the shared key source for jc's JWKS URL and the
// pool key the caller must release in Cleanup (see ReleaseRemoteKeys).
func LoadRemoteKeys(_ caddy.Context, logger *zap.Logger, jc *config.JWTConfig, url string) (verifier.KeySource, string, error) {
	refill := jc.UnknownKIDRefill
	if refill == 0 && jc.UnknownKIDCooldown > 0 {
		logger.Warn("unknown_kid_cooldown is deprecated: it sets unknown_kid_refill",
			zap.String("jwt", jc.Name), zap.Duration("unknown_kid_refill", time.Duration(jc.UnknownKIDCooldown)))
		refill = jc.UnknownKIDCooldown
	}
	opts := verifier.RemoteKeyOptions{
		URL:              url,
		HTTPTimeout:      time.Duration(jc.JWKSTimeout),
		RefreshInterval:  time.Duration(jc.JWKSRefreshInterval),
		UnknownKIDBurst:  jc.UnknownKIDBurst,
		UnknownKIDRefill: time.Duration(refill),
		RateLimitWaitMax: time.Second,
		// The source outlives the config that made it: it reports to the
		// process metrics, not to one app.
		Observer: metrics.Keys,
	}
	key := fmt.Sprintf("%s|%d|%d|%d|%d", url, opts.HTTPTimeout, opts.RefreshInterval, opts.UnknownKIDBurst, opts.UnknownKIDRefill)
	val, _, err := keyPool.LoadOrNew(key, func() (caddy.Destructor, error) {
		// The refresh loop outlives any single config, so it gets its own
		// context, cancelled by Destruct when the last user lets go.
		ctx, cancel := context.WithCancel(context.Background())
		o := opts
		o.OnRefreshError = func(err error) {
			logger.Warn("refreshing JWKS failed; keeping the last good keys",
				zap.String("jwks_url", redact.URL(url)), zap.Error(redact.Error(err)))
		}
		ks, err := verifier.NewRemoteKeySource(ctx, o)
		if err != nil {
			cancel()
			return nil, redact.Error(fmt.Errorf("loading JWKS %q: %w", url, err))
		}
		return &pooledKeys{RemoteKeySource: ks, cancel: cancel}, nil
	})
	if err != nil {
		return nil, "", err
	}
	return val.(*pooledKeys), key, nil
}

// ReleaseRemoteKeys gives back one use of the key source LoadRemoteKeys
// returned under key; its refresh loop stops when the last user lets go.
func ReleaseRemoteKeys(key string) (bool, error) {
	return keyPool.Delete(key)
}
