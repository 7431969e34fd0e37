// Package authgatecli registers the `caddy authgate` command and its
// subcommands (mint: a development token for a gateway in dev mode;
// version: authgate's own version). Like the rest of cmd/, it is glue: it
// may import Caddy and caddymodule, and nothing but cmd/ imports it. Link
// it into a binary with a blank import.
package authgatecli
