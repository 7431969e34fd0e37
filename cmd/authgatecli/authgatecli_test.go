package authgatecli

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
)

// mint prints --count distinct tokens, one per line, signed by the dev key
// it creates in --data-dir.
func TestMintCommand(t *testing.T) {
	var out bytes.Buffer
	c := mintCommand()
	c.SetOut(&out)
	c.SetArgs([]string{"--sub", "alice", "--claim", `roles=["admin"]`, "--count", "2", "--data-dir", t.TempDir()})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(out.String())
	if len(lines) != 2 || lines[0] == lines[1] || strings.Count(lines[0], ".") != 2 {
		t.Fatalf("want two distinct JWTs, got %q", out.String())
	}
}

func TestMintCommandRefusals(t *testing.T) {
	for _, args := range [][]string{
		{"--data-dir", "DIR"},
		{"--sub", "alice", "--claim", "no-equals", "--data-dir", "DIR"},
	} {
		dir := t.TempDir()
		for i, a := range args {
			if a == "DIR" {
				args[i] = dir
			}
		}
		c := mintCommand()
		c.SetOut(new(bytes.Buffer))
		c.SetErr(new(bytes.Buffer))
		c.SetArgs(args)
		if err := c.Execute(); err == nil {
			t.Errorf("%q: accepted", args)
		}
	}
}

// mint refuses to override the claims it sets itself, and a lifetime that
// is not positive, with a message naming the flag; no token is printed.
func TestMintCommandRefusesReservedClaimsAndBadTTL(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--claim", "iss=https://evil.example/"}, "--claim iss: mint sets"},
		{[]string{"--claim", "exp=4102444800"}, "--claim exp: mint sets"},
		{[]string{"--claim", "aud=other"}, "--claim aud: mint sets"},
		{[]string{"--claim", "sub=bob"}, "--claim sub: mint sets"},
		{[]string{"--claim", "jti=fixed"}, "--claim jti: mint sets"},
		{[]string{"--claim", "iat=0"}, "--claim iat: mint sets"},
		{[]string{"--claim", "nbf=0"}, "--claim nbf: mint sets"},
		{[]string{"--ttl", "0s"}, "--ttl 0s: must be positive"},
		{[]string{"--ttl", "-1m"}, "--ttl -1m0s: must be positive"},
	} {
		var out bytes.Buffer
		c := mintCommand()
		c.SetOut(&out)
		c.SetErr(new(bytes.Buffer))
		c.SetArgs(append([]string{"--sub", "alice", "--data-dir", t.TempDir()}, tc.args...))
		err := c.Execute()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.args, err, tc.want)
		}
		if strings.Contains(out.String(), "eyJ") {
			t.Errorf("%q: printed a token: %q", tc.args, out.String())
		}
	}
}

// version prefers what Go recorded in the binary (module version, then VCS
// revision), then the -ldflags -X value the Dockerfile sets, then "unknown".
func TestAuthgateVersion(t *testing.T) {
	vcs := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	const rev = "1215d91c0ffee1215d91c0ffee1215d91c0ffee1"
	for _, tc := range []struct {
		name    string
		info    *debug.BuildInfo
		ldflags string
		want    string
	}{
		{"tag", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: vcs("vcs.revision", rev)}, "v9", "v1.2.3"},
		{"pseudo-version", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261203142352-1215d91c0ffe+dirty"}}, "", "v0.0.0-20261203142352-1215d91c0ffe+dirty"},
		{"revision", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("vcs.revision", rev, "vcs.modified", "false")}, "v9", rev},
		{"modified", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("vcs.revision", rev, "vcs.modified", "true")}, "", rev + "+dirty"},
		{"ldflags", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "v1.4.0", "v1.4.0"},
		{"no build info", nil, "v1.4.0", "v1.4.0"},
		{"nothing", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "", "unknown"},
	} {
		if got := authgateVersion(tc.info, tc.ldflags); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// `caddy authgate version` prints one line, "authgate VERSION", and leaves
// Caddy's own version alone.
func TestVersionCommand(t *testing.T) {
	caddyBefore, _ := caddy.Version()
	var out bytes.Buffer
	c := versionCommand()
	c.SetOut(&out)
	c.SetArgs(nil)
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(out.String())
	if len(fields) != 2 || fields[0] != "authgate" || strings.Count(out.String(), "\n") != 1 {
		t.Fatalf("printed %q, want one line \"authgate VERSION\"", out.String())
	}
	if caddyAfter, _ := caddy.Version(); caddyAfter != caddyBefore || caddy.CustomVersion != "" {
		t.Errorf("Caddy's version changed: %q → %q (CustomVersion %q)", caddyBefore, caddyAfter, caddy.CustomVersion)
	}
}
