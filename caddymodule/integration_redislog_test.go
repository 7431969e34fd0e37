package caddymodule

import (
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/session/sessiontest"
)

// redisLogSite runs edge sessions on a Redis the test stops; {LOG} sends
// Caddy's logs to a file.
const redisLogSite = `{
	admin off
	storage file_system {STORAGE}
	{LOG}
	authgate {
		dev
		session {
			store redis {REDIS}
			exchange dev
		}
		{BROKEN}
	}
}
http://127.0.0.1:{PORT} {
	authgate
	respond "ok"
}`

// go-redis has one logger per process. A reload that fails (here: a jwt
// block whose secret file is missing, found after the app began to
// provision) must leave it with the running configuration's logs: the
// Redis client's warnings of the running config then still reach them,
// not the logs of a config that never ran and whose files are closed.
func TestRedisClientLinesFollowTheRunningConfigAfterAFailedReload(t *testing.T) {
	rp := sessiontest.StartRedis(t)
	running := newCaddyLog(t)
	site := strings.NewReplacer("{REDIS}", rp.URL(), "{BROKEN}", "").Replace(redisLogSite)
	g := startGateway(t, strings.ReplaceAll(site, "{LOG}", running.option()))

	failed := newCaddyLog(t)
	broken := strings.NewReplacer("{LOG}", failed.option(), "{STORAGE}", g.storage, "{PORT}", "1",
		"{BROKEN}", "jwt corp {\n\t\t\tissuer https://idp.example.com\n\t\t\taudience app\n\t\t\tsecret_file /nonexistent/secret\n\t\t\tsame_subjects dev\n\t\t}").Replace(redisLogSite)
	wantLoadError(t, adaptCaddyfile(t, broken), "secret")

	rp.Kill()
	deadline := time.Now().Add(10 * time.Second)
	for len(running.lines(`"msg":"redis client"`)) == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if len(running.lines(`"msg":"redis client"`)) == 0 {
		t.Fatalf("no Redis client warning in the running config's log after Redis stopped; the failed config's log got %d",
			len(failed.lines(`"msg":"redis client"`)))
	}
}
