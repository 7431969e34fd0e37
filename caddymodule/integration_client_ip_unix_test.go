package caddymodule

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestUnixSocketClientsAreWarnedAbout: on a unix socket listener Caddy's
// client address is not an IP, so per-client budgets cannot tell clients
// apart (an introspection flood there spends no client budget: measured,
// 60 junk tokens made 60 calls). The gateway says so once, naming
// trusted_proxies_unix, the setting that lets a proxy on the socket name
// the client.
func TestUnixSocketClientsAreWarnedAbout(t *testing.T) {
	service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answerJSON(w, http.StatusUnauthorized, nil)
	}))
	t.Cleanup(service.Close)
	sock := t.TempDir() + "/gw.sock"
	logs := newCaddyLog(t)
	site := strings.NewReplacer("{LOG}", logs.option(), "{SERVICE}", service.URL).Replace(floodSite)
	site += "http://unixhost {\n\tbind unix/" + sock + "\n\tauthgate\n\trespond \"ok\"\n}\n"
	startGateway(t, site)
	c := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	for range 5 {
		req, _ := http.NewRequest("GET", "http://unixhost/", nil)
		req.Header.Set("X-Session-Token", randomToken("junk-"))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Reason string }
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("junk token over the socket: %d %s", resp.StatusCode, body.Reason)
		}
	}
	sesWaitFor(t, 2*time.Second, "a warning naming trusted_proxies_unix", func() bool { return len(logs.lines("trusted_proxies_unix")) > 0 })
	time.Sleep(100 * time.Millisecond)
	if n := len(logs.lines("trusted_proxies_unix")); n != 1 {
		t.Errorf("%d warnings naming trusted_proxies_unix, want exactly one", n)
	}
}
