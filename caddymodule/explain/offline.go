package explain

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/explain"
)

// Offline explains a request against a configuration (JSON, as
// caddycmd.LoadConfig adapts it) without a running server: the apps are
// provisioned (key sets and OIDC discovery load as at start) but no server
// is started and no port bound. A Redis session store is opened, as the
// authgate app's Start opens it; a bolt store is not (a running server
// holds its lock), so sessions and the deny-list read from it are
// undetermined. The authgate app is cleaned up before returning.
func Offline(ctx context.Context, cfgJSON []byte, d explain.Request) (*explain.Trace, error) {
	var cfg caddy.Config
	if err := json.Unmarshal(cfgJSON, &cfg); err != nil {
		return nil, fmt.Errorf("decoding the configuration: %w", err)
	}
	cfg.Admin = &caddy.AdminConfig{Disabled: true}
	redisStore, bolt, err := sessionStore(cfg.AppsRaw["authgate"])
	if err != nil {
		return nil, err
	}
	cctx, err := caddy.ProvisionContext(&cfg)
	if err != nil {
		return nil, fmt.Errorf("provisioning the configuration: %w", err)
	}
	if authgate, err := cctx.AppIfConfigured("authgate"); err == nil {
		if app, ok := authgate.(caddy.App); ok && redisStore {
			if err := app.Start(); err != nil {
				return nil, fmt.Errorf("opening the Redis session store: %w", err)
			}
			defer func() { _ = app.Stop() }()
		}
		if c, ok := authgate.(caddy.CleanerUpper); ok {
			defer func() { _ = c.Cleanup() }()
		}
	}
	httpApp, err := cctx.AppIfConfigured("http")
	app, _ := httpApp.(*caddyhttp.App)
	if err != nil || app == nil {
		return nil, fmt.Errorf("the configuration has no HTTP app")
	}
	t, err := Explain(ctx, app, d, explain.ModeOffline)
	if err == nil && bolt {
		t.Note("offline: the session store is a bolt file, which a running server holds locked; sessions and the deny-list are not read")
	}
	return t, err
}

// sessionStore reads which session store the authgate app uses.
func sessionStore(raw json.RawMessage) (redisStore, bolt bool, err error) {
	if raw == nil {
		return false, false, nil
	}
	var app config.App
	if err := json.Unmarshal(raw, &app); err != nil {
		return false, false, fmt.Errorf("decoding the authgate app: %w", err)
	}
	if app.Session == nil {
		return false, false, nil
	}
	if app.Session.Store == nil || app.Session.Store.Type == "" || app.Session.Store.Type == "bolt" {
		return false, true, nil
	}
	return app.Session.Store.Type == "redis", false, nil
}
