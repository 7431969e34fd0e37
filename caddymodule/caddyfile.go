package caddymodule

import (
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	httpcaddyfile.RegisterGlobalOption("authgate", parseGlobalOption)
}

// parseGlobalOption parses the global `authgate` block into the authgate
// app (syntax in config.App.UnmarshalCaddyfile).
func parseGlobalOption(d *caddyfile.Dispenser, existing any) (any, error) {
	if existing != nil {
		d.Next() // the option's name, so that the error has its position
		return nil, d.Err("authgate global options given twice: put every authgate option in one block")
	}
	app := new(App)
	if err := app.UnmarshalCaddyfile(d); err != nil {
		return nil, err
	}
	// Checked here too, not only at provision, so the error can name the
	// Caddyfile lines.
	if err := app.checkSubjects(app.Positions()); err != nil {
		return nil, err
	}
	if err := app.CheckExchange(); err != nil {
		return nil, err
	}
	return httpcaddyfile.App{Name: "authgate", Value: caddyconfig.JSON(app, nil)}, nil
}

// parseHandlerCaddyfile is the adapter for the `authgate` directive
// (syntax in config.Handler.UnmarshalCaddyfile).
func parseHandlerCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	handler := new(Handler)
	err := handler.ParseCaddyfile(h.Dispenser, h.Option("authgate"))
	return handler, err
}

// Interface guards
var (
	_ caddyfile.Unmarshaler = (*Handler)(nil)
	_ caddyfile.Unmarshaler = (*App)(nil)
)
