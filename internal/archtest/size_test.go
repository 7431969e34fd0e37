package archtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Size limits that keep files and the glue package readable: a source file
// holds at most maxSourceLines lines and a test file maxTestLines; the
// top-level caddymodule package (Caddy glue only) holds fewer than
// maxGlueLines non-test lines, so new logic goes into a domain package.
const (
	maxSourceLines = 400
	maxTestLines   = 800
	maxGlueLines   = 3000
)

func TestFileSizes(t *testing.T) {
	root := moduleRoot(t)
	glue := 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		lines := bytes.Count(data, []byte("\n"))
		rel, _ := filepath.Rel(root, path)
		limit := maxSourceLines
		if strings.HasSuffix(path, "_test.go") {
			limit = maxTestLines
		} else if filepath.Dir(rel) == "caddymodule" {
			glue += lines
		}
		if lines > limit {
			t.Errorf("%s has %d lines, more than %d: split it by concern", rel, lines, limit)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if glue >= maxGlueLines {
		t.Errorf("the caddymodule package holds %d non-test lines, the limit is %d: move logic into a domain package", glue, maxGlueLines)
	}
}

// moduleRoot is the folder of go.mod above this test's folder.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}
