package redisstore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Configuration errors never quote the URL, which may hold a password.
func TestNewClientRefusals(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	sentinel := func(tls *TLSOptions) ClientOptions {
		return ClientOptions{Sentinel: &SentinelOptions{Master: "m", Addrs: []string{"127.0.0.1:1"}}, TLS: tls}
	}
	for _, tc := range []struct {
		name string
		o    ClientOptions
		want string
	}{
		{"bad url", ClientOptions{URL: "http://user:secret@host"}, "session store: redis url is not valid"},
		{"sentinel without master", ClientOptions{Sentinel: &SentinelOptions{Addrs: []string{"a:1"}}}, "sentinel needs a master name"},
		{"sentinel without addrs", ClientOptions{Sentinel: &SentinelOptions{Master: "m"}}, "sentinel needs a master name"},
		{"missing ca", sentinel(&TLSOptions{CAFile: filepath.Join(dir, "none.pem")}), "reading redis tls ca"},
		{"ca without certificates", sentinel(&TLSOptions{CAFile: notPEM}), "redis tls ca holds no PEM certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rdb, err := NewClient(tc.o)
			if err == nil {
				rdb.Close()
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "secret") {
				t.Fatalf("error %q, want %q and no password", err, tc.want)
			}
		})
	}
}

// Both kinds of client get the same bounds from ConfigureOptions.
func TestNewClientBounds(t *testing.T) {
	for _, o := range []ClientOptions{
		{URL: "redis://127.0.0.1:1/0", Timeout: 200 * time.Millisecond},
		{Sentinel: &SentinelOptions{Master: "m", Addrs: []string{"127.0.0.1:1"}}, Timeout: 200 * time.Millisecond,
			TLS: &TLSOptions{ServerName: "redis.internal"}},
	} {
		rdb, err := NewClient(o)
		if err != nil {
			t.Fatal(err)
		}
		opts := rdb.(*redis.Client).Options()
		if opts.ReadTimeout != 200*time.Millisecond || opts.MaxRetries != 1 || !opts.ContextTimeoutEnabled {
			t.Errorf("%+v: read timeout %v, retries %d, context timeouts %v", o, opts.ReadTimeout, opts.MaxRetries, opts.ContextTimeoutEnabled)
		}
		if o.TLS != nil && (opts.TLSConfig == nil || opts.TLSConfig.ServerName != "redis.internal") {
			t.Errorf("tls config %+v", opts.TLSConfig)
		}
		rdb.Close()
	}
}

func TestPoolKey(t *testing.T) {
	a := ClientOptions{URL: "redis://127.0.0.1:6379/0"}
	b := ClientOptions{URL: "redis://127.0.0.1:6379/1"}
	if PoolKey(a, Options{}) != PoolKey(a, Options{}) {
		t.Fatal("equal settings, different keys")
	}
	if PoolKey(a, Options{}) == PoolKey(b, Options{}) || PoolKey(a, Options{}) == PoolKey(a, Options{WaitReplicas: 1}) {
		t.Fatal("different settings, equal keys")
	}
}
