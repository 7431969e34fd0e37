package redisstore

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of GuardOptions.
const (
	DefaultTimeout = 300 * time.Millisecond
	// DefaultOpenAfter consecutive failed calls open the circuit.
	DefaultOpenAfter = 3
	// DefaultOpenFor is how long an open circuit refuses calls before one
	// probe is let through.
	DefaultOpenFor = time.Second
)

// ErrCircuitOpen is returned, without calling Redis, while Redis is
// considered down.
var ErrCircuitOpen = errors.New("redis is not answering (circuit open)")

// GuardOptions configures Guard. Zero values mean the defaults above.
type GuardOptions struct {
	// Timeout bounds every call to Redis, retries included.
	Timeout time.Duration
	// OpenAfter is how many consecutive failures open the circuit.
	OpenAfter int
	// OpenFor is how long the circuit stays open before a probe.
	OpenFor time.Duration
}

// Guard is a go-redis hook that gives every command and pipeline a
// deadline and fails calls at once while Redis does not answer. Without
// it a Redis stopped mid-connection (SIGSTOP, a dead host without RST)
// holds each request for go-redis's read timeout and retries, and requests
// queue behind each other for the pool: throughput falls to zero. Add it
// with client.AddHook(NewGuard(…)); one Guard per client.
type Guard struct {
	timeout time.Duration
	circuit *circuit
}

// NewGuard returns a Guard.
func NewGuard(o GuardOptions) *Guard {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.OpenAfter <= 0 {
		o.OpenAfter = DefaultOpenAfter
	}
	if o.OpenFor <= 0 {
		o.OpenFor = DefaultOpenFor
	}
	return &Guard{timeout: o.Timeout, circuit: &circuit{openAfter: o.OpenAfter, openFor: o.OpenFor, now: time.Now}}
}

// Timeout is the deadline given to each call.
func (g *Guard) Timeout() time.Duration { return g.timeout }

// ConfigureOptions sets the go-redis options the deadline needs: context
// deadlines honoured on the socket, and read, write, pool and dial timeouts
// no longer than the deadline, so no wait inside go-redis outlasts it.
// Retries stay inside the same deadline: it is set once per call, around
// go-redis's retry loop.
func ConfigureOptions(opts *redis.Options, timeout time.Duration) {
	opts.ContextTimeoutEnabled = true
	opts.ReadTimeout, opts.WriteTimeout, opts.PoolTimeout = timeout, timeout, timeout
	opts.DialTimeout = max(timeout, time.Second)
	opts.MaxRetries = 1
	opts.MinRetryBackoff, opts.MaxRetryBackoff = 8*time.Millisecond, timeout/4
	opts.DialerRetries = 1
}

// DialHook implements redis.Hook.
func (g *Guard) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook.
func (g *Guard) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		// WAIT blocks on the server for its own timeout (in ms).
		extra := time.Duration(0)
		if cmd.Name() == "wait" && len(cmd.Args()) == 3 {
			if ms, ok := cmd.Args()[2].(int); ok {
				extra = time.Duration(ms) * time.Millisecond
			}
		}
		err := g.run(ctx, extra, func(ctx context.Context) error { return next(ctx, cmd) })
		if errors.Is(err, ErrCircuitOpen) {
			cmd.SetErr(err)
		}
		return err
	}
}

// ProcessPipelineHook implements redis.Hook.
func (g *Guard) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := g.run(ctx, 0, func(ctx context.Context) error { return next(ctx, cmds) })
		if errors.Is(err, ErrCircuitOpen) {
			for _, c := range cmds {
				c.SetErr(err)
			}
		}
		return err
	}
}

// guardedKey marks a context inside a guarded call.
type guardedKey struct{}

// run calls fn with the deadline, unless the circuit refuses the call.
// Commands go-redis sends on its own inside a call (a new connection's
// HELLO and CLIENT SETINFO) pass the hooks again: they belong to the outer
// call, which the circuit already admitted (a half-open probe must not be
// refused by itself).
func (g *Guard) run(ctx context.Context, extra time.Duration, fn func(context.Context) error) error {
	if ctx.Value(guardedKey{}) == g {
		return fn(ctx)
	}
	if !g.circuit.allow() {
		return ErrCircuitOpen
	}
	cctx, cancel := context.WithTimeout(context.WithValue(ctx, guardedKey{}, g), g.timeout+extra)
	defer cancel()
	err := fn(cctx)
	switch {
	case err != nil && ctx.Err() != nil:
		// The caller gave up: says nothing about Redis.
		g.circuit.record(outcomeUnknown)
	case failed(err):
		g.circuit.record(outcomeFailure)
	default:
		g.circuit.record(outcomeSuccess)
	}
	return err
}

// failed tells errors that mean "Redis did not answer usefully" from
// answers: a missing key, or an error reply about the command itself,
// shows Redis is up. Replies that mean the node cannot serve now (loading,
// a replica refusing writes, a master without its replicas) count as
// failures.
func failed(err error) bool {
	if err == nil || errors.Is(err, redis.Nil) {
		return false
	}
	var reply redis.Error
	if errors.As(err, &reply) {
		for _, p := range []string{"LOADING", "READONLY", "MASTERDOWN", "BUSY", "TRYAGAIN", "CLUSTERDOWN"} {
			if strings.HasPrefix(err.Error(), p) {
				return true
			}
		}
		return false
	}
	return true
}

type outcome int

const (
	outcomeSuccess outcome = iota
	outcomeFailure
	outcomeUnknown
)

// circuit is a consecutive-failure circuit breaker:
//
//   - closed: calls pass; openAfter failures in a row open it;
//   - open: calls fail at once for openFor;
//   - half-open: after openFor one call (the probe) passes, the others
//     still fail at once; the probe's success closes the circuit, its
//     failure opens it for another openFor.
type circuit struct {
	openAfter int
	openFor   time.Duration
	now       func() time.Time

	mu        sync.Mutex
	failures  int       // consecutive
	openUntil time.Time // while failures >= openAfter
	probing   bool      // a half-open probe is in flight
}

func (c *circuit) allow() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failures < c.openAfter {
		return true
	}
	if c.probing || c.now().Before(c.openUntil) {
		return false
	}
	c.probing = true
	return true
}

func (c *circuit) record(o outcome) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.probing = false
	switch o {
	case outcomeSuccess:
		c.failures = 0
	case outcomeFailure:
		c.failures++
		if c.failures >= c.openAfter {
			c.openUntil = c.now().Add(c.openFor)
		}
	}
}
