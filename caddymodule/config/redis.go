package config

import "github.com/caddyserver/caddy/v2"

// RedisOptions are the settings of the redis session store beyond its URL.
type RedisOptions struct {
	// Timeout bounds every call to Redis, retries included; while Redis
	// does not answer, calls fail at once (a circuit opens after 3 failures
	// in a row and lets one probe through each second). Default: 300ms.
	Timeout caddy.Duration `json:"timeout,omitempty"`

	// Sentinel connects through Redis Sentinel instead of the URL's host:
	// the sentinels name the current master and tell of failovers.
	Sentinel *RedisSentinel `json:"sentinel,omitempty"`

	// Username and Password authenticate to the Redis servers when
	// Sentinel is used (with a URL, put them in the URL). Placeholders
	// such as {env.*} are expanded.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`

	// DB is the database number with Sentinel. Default: 0.
	DB int `json:"db,omitempty"`

	// TLS turns TLS on for Sentinel connections (sentinels and servers);
	// with a URL, use rediss://. Default: off.
	TLS *RedisTLS `json:"tls,omitempty"`

	// WaitReplicas makes each revocation (logout, session and subject
	// revocation, deny-list entry, exchanged-token marker) wait until that
	// many replicas have it (Redis WAIT); a revocation not acknowledged
	// within WaitTimeout fails with 503. Default: 0 (do not wait).
	WaitReplicas int `json:"wait_replicas,omitempty"`

	// WaitTimeout bounds that wait. Default: 500ms.
	WaitTimeout caddy.Duration `json:"wait_timeout,omitempty"`
}

// RedisSentinel names the monitored master and its sentinels.
type RedisSentinel struct {
	// Master is the master name the sentinels monitor. Required.
	Master string `json:"master,omitempty"`
	// Addrs are host:port addresses of sentinels. Required.
	Addrs []string `json:"addrs,omitempty"`
	// Username and Password authenticate to the sentinels. Placeholders
	// are expanded.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
}

// RedisTLS configures TLS to Redis.
type RedisTLS struct {
	// ServerName overrides the name checked in the server certificate.
	ServerName string `json:"server_name,omitempty"`
	// CA is a PEM file of the CAs to trust. Default: the system roots.
	CA string `json:"ca,omitempty"`
}
