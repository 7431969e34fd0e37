package caddymodule

import (
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// The Caddyfile argument helpers of the blocks still parsed here
// (session and its store); the same helpers in package config
// serve the rest, and these go when those blocks move there.

// singleArg reads the one argument of an option that may be given once.
func singleArg(d *caddyfile.Dispenser, dst *string) error {
	name := d.Val()
	if !d.NextArg() {
		return d.ArgErr()
	}
	if *dst != "" {
		return d.Errf("%s given twice", name)
	}
	*dst = d.Val()
	if d.NextArg() {
		return d.ArgErr()
	}
	return nil
}

// intArg reads one positive integer.
func intArg(d *caddyfile.Dispenser, dst *int) error {
	if !d.NextArg() {
		return d.ArgErr()
	}
	n, err := strconv.Atoi(d.Val())
	if err != nil || n <= 0 {
		return d.Errf("expected a positive integer, got %q", d.Val())
	}
	*dst = n
	if d.NextArg() {
		return d.ArgErr()
	}
	return nil
}

// durationArg reads one non-negative duration (caddy.ParseDuration, so 1d works).
func durationArg(d *caddyfile.Dispenser, dst *caddy.Duration) error {
	if !d.NextArg() {
		return d.ArgErr()
	}
	dur, err := caddy.ParseDuration(d.Val())
	if err != nil || dur < 0 {
		return d.Errf("bad duration %q", d.Val())
	}
	*dst = caddy.Duration(dur)
	if d.NextArg() {
		return d.ArgErr()
	}
	return nil
}
