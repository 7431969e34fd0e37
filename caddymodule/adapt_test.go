package caddymodule

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
)

// TestCaddyfileAdapt walks testdata/caddyfile_adapt: each file is a
// Caddyfile, a line of dashes, then the JSON it must adapt to, or
// "error: <substring>" for a Caddyfile that must be refused.
func TestCaddyfileAdapt(t *testing.T) {
	files, err := filepath.Glob("testdata/caddyfile_adapt/*.caddyfiletest")
	if err != nil || len(files) == 0 {
		t.Fatalf("no adapt tests found: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			in, want, ok := strings.Cut(string(data), "----------")
			if !ok {
				t.Fatal("missing ---------- separator")
			}
			got, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(in), nil)
			want = strings.TrimSpace(want)
			if sub, isErr := strings.CutPrefix(want, "error:"); isErr {
				if err == nil || !strings.Contains(err.Error(), strings.TrimSpace(sub)) {
					t.Fatalf("want error containing %q, got %v", strings.TrimSpace(sub), err)
				}
				return
			}
			if err != nil {
				t.Fatalf("adapting: %v", err)
			}
			var gotBuf bytes.Buffer
			_ = json.Indent(&gotBuf, got, "", "\t")
			if strings.TrimSpace(gotBuf.String()) != want {
				t.Fatalf("adapted JSON differs.\n--- got:\n%s\n--- want:\n%s", gotBuf.String(), want)
			}
		})
	}
}
