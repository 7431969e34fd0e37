package caddymodule

import (
	"github.com/authgate/authgate/caddymodule/build"
	"github.com/authgate/authgate/caddymodule/devkey"
	"github.com/authgate/authgate/caddymodule/pools"
	"github.com/authgate/authgate/caddymodule/zaplog"
	"github.com/authgate/authgate/internal/firewall"
	"github.com/authgate/authgate/internal/headername"
)

// Names the black-box tests use from the packages the request path moved
// to (headername, firewall).

// foldHeaderName folds a header name the way CGI, WSGI and PHP stacks do;
// tests use it to recognise every spelling of a forged name.
func foldHeaderName(name string) string { return headername.Fold(name) }

// The firewall's rules, in the order they are checked.
const (
	ruleEncodedNUL       = firewall.RuleEncodedNUL
	ruleEncodedSlash     = firewall.RuleEncodedSlash
	ruleEncodedBackslash = firewall.RuleEncodedBackslash
	ruleBackslash        = firewall.RuleBackslash
	ruleTrailingDotSpace = firewall.RuleTrailingDotSpace
	ruleSemicolon        = firewall.RuleSemicolon
)

var pathRules = firewall.RuleNames()

// Names the tests use from caddymodule/pools.

// boltOpenTimeout bounds the wait for the bolt file lock.
const boltOpenTimeout = pools.BoltOpenTimeout

// defaultSessionPath is the bolt file used when none is configured.
func defaultSessionPath() string { return pools.DefaultSessionPath() }

// newKVLogger is zaplog.NewKVLogger, which the domain packages' loggers
// moved to.
var newKVLogger = zaplog.NewKVLogger

// Names the tests use from caddymodule/build and caddymodule/devkey.

// compileSpecs compiles validator configs into a policy.
var compileSpecs = build.Policy

// openLoginCodec reads the gateway's login-state key from its storage.
var openLoginCodec = build.LoginCodec

// The dev key, and the tokens `caddy authgate mint` signs with it.
const (
	devIssuer   = devkey.Issuer
	devAudience = devkey.Audience
)

var (
	loadOrCreateDevKey = devkey.LoadOrCreate
	mintDevToken       = devkey.MintIn
)
