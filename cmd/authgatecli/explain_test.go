package authgatecli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/certmagic"
	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/caddymodule/devkey"
	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/session/sessiontest"
)

// explainCaddyfile is a dev gateway with sessions in Redis and one route
// per decision: allow (/), 403 (/staff/), a claim refreshed on every
// request (/admin/), a browser login (/app/).
const explainCaddyfile = `{
	admin {ADMIN}
	storage file_system {STORAGE}
	authgate {
		dev
		session {
			store redis {REDIS} {
				timeout 3s
			}
		}
		claim roles {
			fetch {SOURCE}/roles/{sub}
			path roles
			max_age 1h
		}
		header X-Auth-User-Id {sub}
	}
}
http://127.0.0.1:{PORT} {
	handle /staff/* {
		authgate {
			require team includes ops
		}
		respond "staff"
	}
	handle /admin/* {
		authgate {
			require roles includes admin max_age 0
		}
		respond "admin"
	}
	handle /app/* {
		authgate {
			login_url https://login.example.com/
		}
		respond "app"
	}
	handle {
		authgate
		respond "ok"
	}
}
`

// explainGateway is a running explainCaddyfile.
type explainGateway struct {
	admin, base, caddyfile, storage, redisURL string
	sourceHits                                *atomic.Int64
}

func startExplainGateway(t *testing.T) *explainGateway {
	t.Helper()
	if testing.Short() {
		t.Skip("starts Caddy: skipped with -short")
	}
	rp := sessiontest.StartRedis(t)
	hits := new(atomic.Int64)
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(`{"roles":["admin"]}`))
	}))
	t.Cleanup(src.Close)
	dir := t.TempDir()
	caddy.ConfigAutosavePath = filepath.Join(dir, "autosave.json")
	caddy.DefaultStorage = &certmagic.FileStorage{Path: filepath.Join(dir, "data")}
	g := &explainGateway{admin: fmt.Sprintf("127.0.0.1:%d", freePort(t)), storage: filepath.Join(dir, "storage"),
		redisURL: rp.URL(), sourceHits: hits, caddyfile: filepath.Join(dir, "Caddyfile")}
	port := freePort(t)
	g.base = fmt.Sprintf("http://127.0.0.1:%d", port)
	src2 := strings.NewReplacer("{ADMIN}", g.admin, "{STORAGE}", g.storage, "{REDIS}", rp.URL(),
		"{SOURCE}", src.URL, "{PORT}", fmt.Sprint(port)).Replace(explainCaddyfile)
	if err := os.WriteFile(g.caddyfile, []byte(src2), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(src2), nil)
	if err != nil {
		t.Fatalf("adapting: %v", err)
	}
	if err := caddy.Load(cfg, true); err != nil {
		t.Fatalf("loading: %v", err)
	}
	t.Cleanup(func() { _ = caddy.Load([]byte(`{"admin":{"disabled":true}}`), true) })
	return g
}

func (g *explainGateway) mint(t *testing.T, sub string, claims ...string) string {
	t.Helper()
	tok, err := devkey.Mint(context.Background(), g.storage, sub, claims, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// explainStatus parses args as the command does and runs its logic,
// returning the exit status Caddy's main would exit with, the output and
// the error.
func explainStatus(args ...string) (int, string, error) {
	c, f := newExplainCommand()
	if err := c.ParseFlags(args); err != nil {
		return 2, "", err
	}
	var out bytes.Buffer
	status, err := f.run(context.Background(), &out)
	return status, out.String(), err
}

// The CLI asks a running gateway (--address) and explains offline
// (--config) alike: exit 0 for an allowed request, 1 for a refused one
// (a 401 with its reason code, a 403 naming the failed validator and the
// value it saw, a login redirect), 2 for a claim that
// would be fetched, and --fetch fetches it.
func TestExplainCommandLiveAndOffline(t *testing.T) {
	g := startExplainGateway(t)
	tok := g.mint(t, "alice", `team=["dev"]`)
	for _, where := range [][]string{{"--address", g.admin}, {"--config", g.caddyfile, "--adapter", "caddyfile"}} {
		t.Run(where[0], func(t *testing.T) {
			status, out, err := explainStatus(append([]string{"--url", g.base + "/x", "--token", tok}, where...)...)
			if status != 0 || err != nil || !strings.Contains(out, "decision:   ALLOWED") || !strings.Contains(out, "header:     X-Auth-User-Id: alice") {
				t.Fatalf("allowed: %d %v\n%s", status, err, out)
			}
			if strings.Contains(out, tok) {
				t.Fatal("the output holds the token")
			}
			status, out, err = explainStatus(append([]string{"--url", g.base + "/staff/x", "--token", tok}, where...)...)
			if status != 1 || !errors.Is(err, errRefused) || !strings.Contains(out, "FORBIDDEN 403") || !strings.Contains(out, "(path /staff/*)") ||
				!strings.Contains(out, `FAILED       team includes "ops": saw ["dev"]`) {
				t.Fatalf("403: %d %v\n%s", status, err, out)
			}
			for cred, reason := range map[string]string{"": "missing_credential", "not-a-token": "malformed"} {
				args := []string{"--url", g.base + "/x"}
				if cred != "" {
					args = append(args, "--token", cred)
				}
				status, out, err = explainStatus(append(args, where...)...)
				if status != 1 || !errors.Is(err, errRefused) || !strings.Contains(out, "decision:   UNAUTHORIZED 401") || !strings.Contains(out, "reason "+reason) ||
					(cred != "" && strings.Contains(out, cred)) {
					t.Fatalf("401 %s: %d %v\n%s", reason, status, err, out)
				}
			}
			status, out, _ = explainStatus(append([]string{"--url", g.base + "/app/x", "--header", "Accept: text/html"}, where...)...)
			if status != 1 || !strings.Contains(out, "REDIRECTED 302") || !strings.Contains(out, "location:   https://login.example.com/?redirect_uri=") {
				t.Fatalf("redirect: %d\n%s", status, out)
			}
			before := g.sourceHits.Load()
			status, out, err = explainStatus(append([]string{"--url", g.base + "/admin/x", "--token", tok}, where...)...)
			if status != 2 || err == nil || !strings.Contains(out, "claim:      roles: would fetch") || g.sourceHits.Load() != before {
				t.Fatalf("refresh without fetch: %d %v, %d source hits\n%s", status, err, g.sourceHits.Load()-before, out)
			}
			status, out, _ = explainStatus(append([]string{"--url", g.base + "/admin/x", "--token", tok, "--fetch"}, where...)...)
			if status != 0 || !strings.Contains(out, "claim:      roles: fetched") || g.sourceHits.Load() != before+1 {
				t.Fatalf("refresh with fetch: %d, %d source hits\n%s", status, g.sourceHits.Load()-before, out)
			}
		})
	}
}

// --json prints the trace for machines, in a fixed shape.
func TestExplainCommandJSON(t *testing.T) {
	g := startExplainGateway(t)
	tok := g.mint(t, "alice", `team=["dev"]`)
	status, out, _ := explainStatus("--url", g.base+"/staff/x", "--token", tok, "--json", "--address", g.admin)
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil || status != 1 {
		t.Fatalf("%d %v: %s", status, err, out)
	}
	for _, key := range []string{"mode", "request", "route", "sources", "verifier", "identity", "validators", "decision"} {
		if _, ok := doc[key]; !ok {
			t.Errorf("no %q in %s", key, out)
		}
	}
	v := doc["validators"].([]any)[0].(map[string]any)
	d := doc["decision"].(map[string]any)
	if v["id"] != "team" || v["result"] != "failed" || v["mode"] != "enforce" || d["outcome"] != "forbidden" || d["status"] != float64(403) {
		t.Fatalf("validator %v decision %v", v, d)
	}
	if _, ok := v["value"]; !ok {
		t.Fatalf("validator %v: no value seen", v)
	}
}

// Offline, explain reads sessions from Redis and changes nothing there:
// the store is byte-identical after explaining a session's requests
// (the running gateway shares the Redis).
func TestExplainOfflineLeavesRedisByteIdentical(t *testing.T) {
	g := startExplainGateway(t)
	resp, err := http.Post("http://"+g.admin+"/authgate/sessions", "application/json", strings.NewReader(`{"user_id":"bob","claims":{"team":["ops"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		Token string `json:"session_token"`
		ID    string `json:"session_id"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	time.Sleep(1100 * time.Millisecond)
	before := snapshot(t, g.redisURL)
	cookie := "__Host-authgate_session=" + created.Token
	status, out, err := explainStatus("--url", g.base+"/staff/x", "--cookie", cookie, "--fetch", "--json", "--config", g.caddyfile, "--adapter", "caddyfile")
	if status != 0 || err != nil || !strings.Contains(out, created.ID) || strings.Contains(out, created.Token) {
		t.Fatalf("offline session explain: %d %v\n%s", status, err, out)
	}
	if after := snapshot(t, g.redisURL); after != before {
		t.Fatalf("explain changed Redis:\nbefore %s\nafter  %s", before, after)
	}
}

// snapshot is every key of the Redis at url with its DUMP, sorted.
func snapshot(t *testing.T, url string) string {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	keys, err := rdb.Keys(context.Background(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		dump, err := rdb.Dump(context.Background(), k).Result()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%x;", k, dump)
	}
	if len(keys) == 0 {
		t.Fatal("Redis holds no keys: nothing to compare")
	}
	return b.String()
}

// Offline, a bolt session store is not opened (a running server holds
// its lock): what needs it (sessions, the deny-list) is undetermined,
// exit 2, at once rather than after the lock's timeout.
func TestExplainOfflineWithABoltStoreIsUndetermined(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Caddy: skipped with -short")
	}
	dir := t.TempDir()
	caddy.ConfigAutosavePath = filepath.Join(dir, "autosave.json")
	port := freePort(t)
	src := fmt.Sprintf("{\n\tadmin off\n\tstorage file_system %s\n\tauthgate {\n\t\tdev\n\t\tsession {\n\t\t\tstore bolt %s\n\t\t}\n\t}\n}\nhttp://127.0.0.1:%d {\n\tauthgate\n\trespond ok\n}\n",
		filepath.Join(dir, "storage"), filepath.Join(dir, "sessions.db"), port)
	file := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := caddy.Load(cfg, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = caddy.Load([]byte(`{"admin":{"disabled":true}}`), true) })
	tok, err := devkey.Mint(context.Background(), filepath.Join(dir, "storage"), "alice", nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	wellFormed, _ := session.NewToken()
	for _, cred := range [][]string{{"--token", tok}, {"--cookie", "__Host-authgate_session=" + wellFormed}} {
		status, out, err := explainStatus(append([]string{"--url", fmt.Sprintf("http://127.0.0.1:%d/x", port), "--config", file}, cred...)...)
		if err == nil || status != 2 || !strings.Contains(out, "UNDETERMINED") || !strings.Contains(out, "bolt") {
			t.Fatalf("%s: %d %v\n%s", cred[0], status, err, out)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v: waited for the store", d)
	}
}
