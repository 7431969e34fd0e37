package config

import (
	"fmt"
	"math"
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/dustin/go-humanize"
)

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

// sizeArg reads one positive byte size: a plain number of bytes, or a
// number with a unit as Caddy's own directives take them (64KiB, 1MB,
// 2.5MiB; go-humanize's ParseBytes).
func sizeArg(d *caddyfile.Dispenser, dst *int64) error {
	if !d.NextArg() {
		return d.ArgErr()
	}
	n, err := humanize.ParseBytes(d.Val())
	if err != nil || n == 0 || n > math.MaxInt64 {
		return d.Errf("expected a positive integer or a size such as 64KiB or 1MB, got %q", d.Val())
	}
	*dst = int64(n)
	if d.NextArg() {
		return d.ArgErr()
	}
	return nil
}

// intSizeArg is sizeArg for an int setting.
func intSizeArg(d *caddyfile.Dispenser, dst *int) error {
	var n int64
	if err := sizeArg(d, &n); err != nil {
		return err
	}
	*dst = int(n)
	return nil
}

// durationUnits lists what caddy.ParseDuration takes, for error messages.
const durationUnits = "a number with a unit: ns, us, ms, s, m, h or d, such as 90s, 1h30m or 1d"

// durationArg reads one non-negative duration (caddy.ParseDuration, so 1d works).
func durationArg(d *caddyfile.Dispenser, dst *caddy.Duration) error {
	if !d.NextArg() {
		return d.ArgErr()
	}
	dur, err := caddy.ParseDuration(d.Val())
	if err != nil || dur < 0 {
		return d.Errf("bad duration %q: want %s", d.Val(), durationUnits)
	}
	*dst = caddy.Duration(dur)
	if d.NextArg() {
		return d.ArgErr()
	}
	return nil
}

// appendArgs adds one or more arguments to a list.
func appendArgs(d *caddyfile.Dispenser, dst *[]string) error {
	args := d.RemainingArgs()
	if len(args) == 0 {
		return d.ArgErr()
	}
	*dst = append(*dst, args...)
	return nil
}

// flag sets a boolean option that takes no argument.
func flag(d *caddyfile.Dispenser, dst *bool) error {
	if d.NextArg() {
		return d.ArgErr()
	}
	*dst = true
	return nil
}

// onOff reads the one argument of a switch, on or off.
func onOff(d *caddyfile.Dispenser, dst *bool) error {
	name := d.Val()
	args := d.RemainingArgs()
	if len(args) != 1 || args[0] != "on" && args[0] != "off" {
		return d.Errf("%s takes on or off", name)
	}
	*dst = args[0] == "on"
	return nil
}

// errAt is an error about a block that is only known to be wrong once its
// end is read, placed at pos ("file:line" of the block's first line) the
// way the Dispenser places its own errors.
func errAt(pos, format string, args ...any) error {
	return fmt.Errorf("%s, at %s", fmt.Sprintf(format, args...), pos)
}
