package authgatecli

import (
	"bytes"
	"strings"
	"testing"
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
