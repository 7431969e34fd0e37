package authgatecli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
	"github.com/caddyserver/certmagic"
	"github.com/spf13/cobra"
)

// adminCaddy is a real Caddy in this process whose admin endpoint serves
// the authgate admin API over a bolt session store.
type adminCaddy struct {
	addr       string // host:port of the admin endpoint
	caddyfile  string // path of the Caddyfile it was loaded from
	sessionIDs map[string][]string
	tokens     []string
}

func startAdminCaddy(t *testing.T) *adminCaddy {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	dir := t.TempDir()
	caddy.ConfigAutosavePath = filepath.Join(dir, "autosave.json")
	caddy.DefaultStorage = &certmagic.FileStorage{Path: filepath.Join(dir, "data")}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	src := fmt.Sprintf("{\n\tadmin %s\n\tstorage file_system %s\n\tauthgate {\n\t\tsession {\n\t\t\tstore bolt %s\n\t\t}\n\t}\n}\n",
		addr, filepath.Join(dir, "data"), filepath.Join(dir, "sessions.db"))
	file := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(src), nil)
	if err != nil {
		t.Fatalf("adapting: %v", err)
	}
	if err := caddy.Load(cfg, true); err != nil {
		t.Fatalf("loading: %v", err)
	}
	t.Cleanup(func() { _ = caddy.Load([]byte(`{"admin":{"disabled":true}}`), true) })
	return &adminCaddy{addr: addr, caddyfile: file, sessionIDs: map[string][]string{}}
}

// create makes a session for user straight through the admin API (the
// CLI does not create sessions).
func (c *adminCaddy) create(t *testing.T, user string) {
	t.Helper()
	resp, err := http.Post("http://"+c.addr+"/authgate/sessions", "application/json", strings.NewReader(`{"user_id":"`+user+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Token string `json:"session_token"`
		ID    string `json:"session_id"`
	}
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(data, &body) != nil || body.ID == "" {
		t.Fatalf("create: %d %s", resp.StatusCode, data)
	}
	c.sessionIDs[user] = append(c.sessionIDs[user], body.ID)
	c.tokens = append(c.tokens, body.Token)
}

// run executes the command with args as `caddy authgate …` would and
// returns what it printed and its error.
func run(cmd *cobra.Command, args ...string) (string, error) {
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(io.Discard)
	cmd.SetArgs(args)
	cmd.SilenceUsage = true
	err := cmd.Execute()
	return out.String(), err
}

// The session commands list and revoke sessions of a running instance,
// found by --address or through --config; an error answer of the admin
// API is the command's error, holding the server's message.
func TestSessionsCommandsCallTheAdminAPI(t *testing.T) {
	c := startAdminCaddy(t)
	c.create(t, "bob")
	c.create(t, "bob")
	c.create(t, "carol")

	out, err := run(sessionsCommand(), "list", "--user", "bob", "--address", c.addr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "SESSION ID") || strings.Count(out, "\n") != 3 ||
		!strings.Contains(out, c.sessionIDs["bob"][0]) || !strings.Contains(out, c.sessionIDs["bob"][1]) {
		t.Fatalf("table:\n%s", out)
	}
	// The address comes from the config file when --address is not given.
	out, err = run(sessionsCommand(), "list", "--user", "bob", "--config", c.caddyfile, "--adapter", "caddyfile", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Sessions []map[string]any `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list.Sessions) != 2 {
		t.Fatalf("json: %v\n%s", err, out)
	}
	for _, tok := range c.tokens {
		if strings.Contains(out, tok) {
			t.Fatal("a listing holds a session token")
		}
	}

	out, err = run(sessionsCommand(), "revoke", c.sessionIDs["bob"][0], "--address", c.addr)
	if err != nil || out != "revoked session "+c.sessionIDs["bob"][0]+"\n" {
		t.Fatalf("revoke: %q, %v", out, err)
	}
	_, err = run(sessionsCommand(), "revoke", c.sessionIDs["bob"][0], "--address", c.addr)
	if err == nil || !strings.Contains(err.Error(), "HTTP 404") || !strings.Contains(err.Error(), "no such session") {
		t.Fatalf("revoking a revoked session: %v, want the server's 404", err)
	}
	out, err = run(sessionsCommand(), "revoke", "--user", "bob", "--address", c.addr)
	if err != nil || out != `revoked 1 session(s) of user "bob"`+"\n" {
		t.Fatalf("revoke --user: %q, %v", out, err)
	}
	out, err = run(sessionsCommand(), "list", "--user", "bob", "--address", c.addr, "--json")
	if err != nil || !strings.Contains(out, `"sessions": []`) {
		t.Fatalf("bob still has sessions: %q, %v", out, err)
	}

	for _, args := range [][]string{
		{"list", "--address", c.addr},
		{"revoke", "--address", c.addr},
		{"revoke", "ses_x", "--user", "bob", "--address", c.addr},
	} {
		if _, err := run(sessionsCommand(), args...); err == nil {
			t.Errorf("%q: accepted", args)
		}
	}
}

// revoke deny-lists IdP JWTs by jti (of any or one issuer) or subject;
// by subject it also ends the subject's sessions.
func TestRevokeCommandCallsTheAdminAPI(t *testing.T) {
	c := startAdminCaddy(t)
	c.create(t, "dave")

	out, err := run(revokeCommand(), "--jti", "j1", "--address", c.addr)
	if err != nil || !strings.Contains(out, "deny-listed until ") || !strings.Contains(out, "0 session(s) revoked") {
		t.Fatalf("revoke --jti: %q, %v", out, err)
	}
	until := time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339)
	out, err = run(revokeCommand(), "--jti", "j2", "--iss", "https://idp.example", "--until", until, "--address", c.addr, "--json")
	if err != nil || !strings.Contains(out, `"until": "`+until+`"`) {
		t.Fatalf("revoke --jti --iss --until: %q, %v", out, err)
	}
	out, err = run(revokeCommand(), "--sub", "dave", "--for", "1h", "--address", c.addr)
	if err != nil || !strings.Contains(out, "1 session(s) revoked") {
		t.Fatalf("revoke --sub: %q, %v", out, err)
	}
	// The server's refusal is the error.
	_, err = run(revokeCommand(), "--jti", "j3", "--until", "2001-01-01T00:00:00Z", "--address", c.addr)
	if err == nil || !strings.Contains(err.Error(), "HTTP 400") || !strings.Contains(err.Error(), "until must be") {
		t.Fatalf("a past until: %v, want the server's 400", err)
	}
	for _, args := range [][]string{
		{"--address", c.addr},
		{"--jti", "j", "--sub", "s", "--address", c.addr},
		{"--sub", "s", "--iss", "https://idp.example", "--address", c.addr},
		{"--jti", "j", "--until", until, "--for", "1h", "--address", c.addr},
		{"--jti", "j", "--for", "-1h", "--address", c.addr},
	} {
		if _, err := run(revokeCommand(), args...); err == nil {
			t.Errorf("%q: accepted", args)
		}
	}
}
