// Command caddy is Caddy with its standard modules and authgate.
//
// It is built with plain `go build ./cmd/caddy`; xcaddy is not needed.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/authgate/authgate/caddymodule"
	_ "github.com/authgate/authgate/cmd/authgatecli"
)

func main() {
	caddycmd.Main()
}
