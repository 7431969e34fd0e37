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
