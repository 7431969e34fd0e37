package config

import (
	"strconv"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/authgate/authgate/session/redisstore"
)

// parseRedisBlock parses the optional block of `store redis`:
//
//	store redis [<url>] {
//		timeout <duration>
//		sentinel <master> <host:port>...
//		sentinel_username <user>
//		sentinel_password <password>
//		username <user>
//		password <password>
//		db <n>
//		tls [<server name>]
//		tls_ca <pem file>
//		wait_replicas <n> [<timeout>]
//	}
//
// Without sentinel the URL is required; with it the URL must be left out.
// `cluster` is refused: authgate does not support Redis Cluster.
func (st *SessionStoreConfig) parseRedisBlock(d *caddyfile.Dispenser) error {
	ro := &RedisOptions{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		if err := ro.unmarshalSubdirective(d); err != nil {
			return err
		}
	}
	if ro.Sentinel != nil && st.URL != "" {
		return d.Err("store redis: give either a url or a sentinel line, not both")
	}
	if ro.Sentinel == nil && st.URL == "" {
		return d.Err("store redis: a url (or a sentinel line in its block) is required")
	}
	if *ro != (RedisOptions{}) {
		st.Redis = ro
	}
	return nil
}

func (ro *RedisOptions) unmarshalSubdirective(d *caddyfile.Dispenser) error {
	switch d.Val() {
	case "timeout":
		return durationArg(d, &ro.Timeout)
	case "sentinel":
		args := d.RemainingArgs()
		if len(args) < 2 {
			return d.ArgErr()
		}
		if ro.Sentinel != nil && ro.Sentinel.Master != "" {
			return d.Err("sentinel given twice")
		}
		ro.sentinel().Master, ro.sentinel().Addrs = args[0], args[1:]
	case "sentinel_username":
		return singleArg(d, &ro.sentinel().Username)
	case "sentinel_password":
		return singleArg(d, &ro.sentinel().Password)
	case "username":
		return singleArg(d, &ro.Username)
	case "password":
		return singleArg(d, &ro.Password)
	case "db":
		if !d.NextArg() {
			return d.ArgErr()
		}
		n, err := strconv.Atoi(d.Val())
		if err != nil || n < 0 {
			return d.Errf("db: expected a database number, got %q", d.Val())
		}
		ro.DB = n
	case "tls":
		ro.tls()
		if d.NextArg() {
			ro.TLS.ServerName = d.Val()
		}
		if d.NextArg() {
			return d.ArgErr()
		}
	case "tls_ca":
		return singleArg(d, &ro.tls().CA)
	case "wait_replicas":
		return ro.parseWait(d)
	case "cluster":
		return d.Err(redisstore.ErrCluster.Error())
	default:
		return d.Errf("unrecognized redis store option %q", d.Val())
	}
	return nil
}

func (ro *RedisOptions) parseWait(d *caddyfile.Dispenser) error {
	if !d.NextArg() {
		return d.ArgErr()
	}
	n, err := strconv.Atoi(d.Val())
	if err != nil || n <= 0 {
		return d.Errf("wait_replicas: expected a positive number of replicas, got %q", d.Val())
	}
	ro.WaitReplicas = n
	if d.CountRemainingArgs() > 0 {
		return durationArg(d, &ro.WaitTimeout)
	}
	return nil
}

func (ro *RedisOptions) sentinel() *RedisSentinel {
	if ro.Sentinel == nil {
		ro.Sentinel = &RedisSentinel{}
	}
	return ro.Sentinel
}

func (ro *RedisOptions) tls() *RedisTLS {
	if ro.TLS == nil {
		ro.TLS = &RedisTLS{}
	}
	return ro.TLS
}
