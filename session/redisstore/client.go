package redisstore

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrCluster is the answer to a Redis Cluster configuration.
var ErrCluster = errors.New("session store: Redis Cluster is not supported (deny-list, one-time and session writes are multi-key scripts and transactions that need one node); use one Redis, or Sentinel for failover")

// ClientOptions are the settings of a Redis client, placeholders already
// replaced. They hold credentials: never log them.
type ClientOptions struct {
	// URL is the redis:// or rediss:// URL; unused with Sentinel.
	URL string
	// Timeout bounds every call, retries included (see Guard). Default:
	// DefaultTimeout.
	Timeout time.Duration
	// Sentinel connects through Redis Sentinel instead of the URL.
	Sentinel *SentinelOptions
	// Username, Password and DB apply to the servers found through
	// Sentinel (with a URL, they are part of it).
	Username, Password string
	DB                 int
	// TLS turns TLS on for Sentinel connections (sentinels and servers).
	TLS *TLSOptions
}

// SentinelOptions name the monitored master and its sentinels.
type SentinelOptions struct {
	// Master is the master name the sentinels monitor.
	Master string
	// Addrs are host:port addresses of sentinels.
	Addrs []string
	// Username and Password authenticate to the sentinels.
	Username, Password string
}

// TLSOptions configure TLS to Redis.
type TLSOptions struct {
	// ServerName overrides the name checked in the server certificate.
	ServerName string
	// CAFile is a PEM file of the CAs to trust. Default: the system roots.
	CAFile string
}

// NewClient builds the go-redis client for o, with every call bounded and
// guarded (see Guard and ConfigureOptions). Its errors never quote the URL.
func NewClient(o ClientOptions) (redis.UniversalClient, error) {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	var rdb *redis.Client
	if o.Sentinel != nil {
		fo, err := o.failoverOptions(timeout)
		if err != nil {
			return nil, err
		}
		rdb = redis.NewFailoverClient(fo)
	} else {
		opts, err := redis.ParseURL(o.URL)
		if err != nil {
			// The parse error may quote the URL, password included.
			return nil, fmt.Errorf("session store: redis url is not valid")
		}
		ConfigureOptions(opts, timeout)
		rdb = redis.NewClient(opts)
	}
	rdb.AddHook(NewGuard(GuardOptions{Timeout: timeout}))
	return rdb, nil
}

// failoverOptions maps the Sentinel settings to go-redis's.
func (o ClientOptions) failoverOptions(timeout time.Duration) (*redis.FailoverOptions, error) {
	s := o.Sentinel
	if s.Master == "" || len(s.Addrs) == 0 {
		return nil, errors.New("session store: sentinel needs a master name and at least one sentinel address")
	}
	// ConfigureOptions works on redis.Options: apply it there and copy the
	// timeouts over, so both kinds of client get the same bounds.
	var ro redis.Options
	ConfigureOptions(&ro, timeout)
	fo := &redis.FailoverOptions{
		MasterName: s.Master, SentinelAddrs: s.Addrs,
		SentinelUsername: s.Username, SentinelPassword: s.Password,
		Username: o.Username, Password: o.Password, DB: o.DB,
		ContextTimeoutEnabled: ro.ContextTimeoutEnabled,
		ReadTimeout:           ro.ReadTimeout, WriteTimeout: ro.WriteTimeout, PoolTimeout: ro.PoolTimeout, DialTimeout: ro.DialTimeout,
		MaxRetries: ro.MaxRetries, MinRetryBackoff: ro.MinRetryBackoff, MaxRetryBackoff: ro.MaxRetryBackoff, DialerRetries: ro.DialerRetries,
	}
	if o.TLS != nil {
		cfg, err := o.TLS.config()
		if err != nil {
			return nil, err
		}
		fo.TLSConfig = cfg
	}
	return fo, nil
}

func (t *TLSOptions) config() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.CAFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(t.CAFile)
	if err != nil {
		return nil, fmt.Errorf("session store: reading redis tls ca: %w", err)
	}
	cfg.RootCAs = x509.NewCertPool()
	if !cfg.RootCAs.AppendCertsFromPEM(pem) {
		return nil, errors.New("session store: redis tls ca holds no PEM certificate")
	}
	return cfg, nil
}

// PoolKey identifies a client and store built from o and so: equal keys
// mean equal settings, so a changed setting makes a new client. The key
// holds the credentials: keep it in memory, never log it.
func PoolKey(o ClientOptions, so Options) string {
	raw, _ := json.Marshal(struct {
		Client       ClientOptions
		Prefix       string
		WaitReplicas int
		WaitTimeout  time.Duration
	}{o, so.Prefix, so.WaitReplicas, so.WaitTimeout})
	return "redis|" + string(raw)
}
