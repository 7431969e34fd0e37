package caddymodule

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// caddyLog is a file that a gateway's Caddy writes all its logs to, as
// JSON lines at DEBUG level: tests read what an operator would see.
type caddyLog struct {
	t    *testing.T
	path string
}

func newCaddyLog(t *testing.T) *caddyLog {
	t.Helper()
	return &caddyLog{t: t, path: filepath.Join(t.TempDir(), "caddy.log")}
}

// option is the global `log` option that sends Caddy's default logger to
// the file; put it in the Caddyfile's global block.
func (l *caddyLog) option() string {
	return "log {\n\t\toutput file " + l.path + " {\n\t\t\troll_disabled\n\t\t}\n\t\tformat json\n\t\tlevel DEBUG\n\t}"
}

// text returns everything logged so far.
func (l *caddyLog) text() string {
	l.t.Helper()
	b, err := os.ReadFile(l.path)
	if err != nil && !os.IsNotExist(err) {
		l.t.Fatal(err)
	}
	return string(b)
}

// lines returns the logged lines whose text contains substr.
func (l *caddyLog) lines(substr string) []string {
	var out []string
	for _, line := range strings.Split(l.text(), "\n") {
		if line != "" && strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return out
}
