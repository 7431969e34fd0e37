package caddymodule

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// Every Caddyfile a reader may copy from the documentation — the fenced
// caddyfile blocks of README.md and docs/*.md, and Caddyfile.example — goes
// through Caddy's own Caddyfile adapter, so a renamed word or a wrong
// nesting in the docs fails a test instead of a reader's `caddy run`.
//
// A block that is a whole Caddyfile is adapted as it stands. A fragment is
// wrapped first, decided by its first word: a Caddy directive (authgate,
// handle, log, …) goes inside a site `:8080 { … }`; any other word (jwt,
// session, require, …) inside the global option `{ authgate { … } }`.
// A block that cannot be adapted — a syntax template with <placeholders>
// — says so, and why, on the line above its fence:
//
//	<!-- not-tested: syntax template -->

// docBlock is one Caddyfile of the documentation.
type docBlock struct {
	file string // relative to the repository root, for messages
	at   string // file:line of the opening fence, or of a whole file
	line int    // of the first line of the Caddyfile
	body string
	skip string // the reason of a <!-- not-tested: REASON --> marker
}

// where returns the file:line of the block's n-th line (1-based).
func (b docBlock) where(n int) string {
	return fmt.Sprintf("%s:%d", b.file, b.line+n-1)
}

var (
	// notTested exempts the fenced block below it from being adapted.
	notTested = regexp.MustCompile(`^<!-- not-tested:(.*)-->$`)
	// innerSpace is a run of blanks inside a line.
	innerSpace = regexp.MustCompile(`[ \t]{2,}`)
	// blockLine is a position in an adapted block, in errors and warnings.
	blockLine = regexp.MustCompile(`docblock:(\d+)`)
)

// docCaddyfiles returns the Caddyfiles of README.md, docs/*.md and
// Caddyfile.example. A fence without a language fails the test, so that no
// Caddyfile can hide from it behind a bare ```.
func docCaddyfiles(t *testing.T) []docBlock {
	t.Helper()
	var blocks []docBlock
	for _, page := range docFiles(t) {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, mdCaddyfiles(t, strings.TrimPrefix(page, "../"), string(data))...)
	}
	data, err := os.ReadFile("../Caddyfile.example")
	if err != nil {
		t.Fatal(err)
	}
	return append(blocks, docBlock{file: "Caddyfile.example", at: "Caddyfile.example:1", line: 1, body: string(data)})
}

// mdCaddyfiles returns the fenced caddyfile blocks of one Markdown page.
func mdCaddyfiles(t *testing.T, file, text string) []docBlock {
	t.Helper()
	lines := strings.Split(text, "\n")
	var blocks []docBlock
	above := "" // the last non-blank line outside a fence
	for i := 0; i < len(lines); i++ {
		lang, isFence := strings.CutPrefix(strings.TrimSpace(lines[i]), "```")
		if !isFence {
			if strings.TrimSpace(lines[i]) != "" {
				above = strings.TrimSpace(lines[i])
			}
			continue
		}
		start := i + 1
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
		}
		if i == len(lines) {
			t.Fatalf("%s:%d: code fence not closed", file, start)
		}
		lang = strings.TrimSpace(lang)
		m := notTested.FindStringSubmatch(above)
		above = ""
		switch {
		case lang == "":
			t.Errorf("%s:%d: code fence without a language; name it (caddyfile, sh, text, …)", file, start)
			continue
		case !strings.EqualFold(lang, "caddyfile"):
			if m != nil {
				t.Errorf("%s:%d: <!-- not-tested --> above a %s block, which is never adapted", file, start, lang)
			}
			continue
		}
		b := docBlock{file: file, at: fmt.Sprintf("%s:%d", file, start), line: start + 1, body: strings.Join(lines[start:i], "\n") + "\n"}
		if m != nil {
			if b.skip = strings.TrimSpace(m[1]); b.skip == "" {
				t.Errorf("%s:%d: <!-- not-tested: REASON --> needs a reason", file, start)
			}
		}
		blocks = append(blocks, b)
	}
	return blocks
}

// wrapDocBlock returns the block as a whole Caddyfile, how it was wrapped
// ("" when it is one already) and how many lines the wrapper put before it.
func wrapDocBlock(t *testing.T, body string) (src, how string, offset int) {
	t.Helper()
	first := firstWord(body)
	switch {
	case first == "{":
		return body, "", 0
	case isHTTPDirective(t, first):
		return ":8080 {\n" + indent(body, "\t") + "}\n", "site", 1
	case strings.ContainsAny(first, ".:/"):
		return body, "", 0 // a site address
	default:
		return "{\n\tauthgate {\n" + indent(body, "\t\t") + "\t}\n}\n", "global authgate option", 2
	}
}

// firstWord is the first token of a Caddyfile, comments skipped.
func firstWord(body string) string {
	for l := range strings.Lines(body) {
		if f := strings.Fields(l); len(f) > 0 && !strings.HasPrefix(f[0], "#") {
			return f[0]
		}
	}
	return ""
}

// isHTTPDirective reports whether Caddy knows name as a site directive.
func isHTTPDirective(t *testing.T, name string) bool {
	t.Helper()
	_, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(":8080 {\n\t"+name+"\n}\n"), nil)
	return err == nil || !strings.Contains(err.Error(), "unrecognized directive: "+name)
}

// indent puts prefix before every non-blank line.
func indent(body, prefix string) string {
	var b strings.Builder
	for l := range strings.Lines(body) {
		if strings.TrimSpace(l) != "" {
			b.WriteString(prefix)
		}
		b.WriteString(l)
	}
	return b.String()
}

// adaptDocBlock adapts a documentation Caddyfile and returns its JSON, or
// a message naming the doc's lines. Every warning counts as a mistake
// (an unknown module, a Caddyfile `caddy fmt` would change), except that
// the docs may line up values and comments in columns.
func adaptDocBlock(b docBlock, src string, offset int) ([]byte, string) {
	cfg, warnings, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(src), map[string]any{"filename": "docblock"})
	// Positions in the message become the doc's own lines.
	at := func(msg string) string {
		return blockLine.ReplaceAllStringFunc(msg, func(s string) string {
			n, _ := strconv.Atoi(strings.TrimPrefix(s, "docblock:"))
			return b.where(n - offset)
		})
	}
	if err != nil {
		return nil, at(err.Error())
	}
	var msgs []string
	for _, w := range warnings {
		if strings.HasPrefix(w.Message, "Caddyfile input is not formatted") {
			var unaligned bool
			if w, unaligned = formatWarning(src); !unaligned {
				continue
			}
		}
		msgs = append(msgs, at(fmt.Sprintf("docblock:%d: warning: %s", w.Line, w.Message)))
	}
	if len(msgs) > 0 {
		return nil, strings.Join(msgs, "\n")
	}
	return cfg, ""
}

// formatWarning returns the warning `caddy fmt` gives for src, and whether
// it gives one, once runs of blanks inside lines (values and comments lined
// up in columns) are made single spaces.
func formatWarning(src string) (caddyconfig.Warning, bool) {
	var b strings.Builder
	for l := range strings.Lines(src) {
		rest := strings.TrimLeft(l, " \t")
		b.WriteString(l[:len(l)-len(rest)])
		b.WriteString(innerSpace.ReplaceAllString(rest, " "))
	}
	return caddyfile.FormattingDifference("docblock", []byte(b.String()))
}

func TestDocCaddyfilesAdapt(t *testing.T) {
	var adapted, wrapped, skipped int
	for _, b := range docCaddyfiles(t) {
		if b.skip != "" {
			skipped++
			t.Logf("%s: not tested: %s", b.at, b.skip)
			continue
		}
		src, how, offset := wrapDocBlock(t, b.body)
		if _, msg := adaptDocBlock(b, src, offset); msg != "" {
			if how != "" {
				msg += "\n(the block was wrapped in a " + how + ")"
			}
			t.Errorf("%s: this Caddyfile does not adapt cleanly:\n%s", b.at, msg)
			continue
		}
		adapted++
		if how != "" {
			wrapped++
			t.Logf("%s: adapted inside a %s", b.at, how)
		}
	}
	t.Logf("documentation Caddyfiles: %d adapted (%d of them wrapped), %d not tested", adapted, wrapped, skipped)
	if adapted < 15 {
		t.Fatalf("adapted only %d Caddyfiles; is the fence pattern broken?", adapted)
	}
}

// The quick start (Caddyfile.example) and the README's first configuration
// are also provisioned and validated the way `caddy validate` does: dev key
// and session file in temporary directories, nothing started.
func TestDocQuickStartValidates(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir()) // the bolt session file
	validated := 0
	for _, b := range docCaddyfiles(t) {
		if b.skip != "" || b.file != "README.md" && b.file != "Caddyfile.example" {
			continue
		}
		src, _, offset := wrapDocBlock(t, b.body)
		cfgJSON, msg := adaptDocBlock(b, src, offset)
		if msg != "" {
			t.Errorf("%s: %s", b.at, msg)
			continue
		}
		var cfg caddy.Config
		if err := json.Unmarshal(cfgJSON, &cfg); err != nil {
			t.Fatal(err)
		}
		if err := caddy.Validate(&cfg); err != nil {
			t.Errorf("%s: this Caddyfile adapts but does not validate: %v", b.at, err)
			continue
		}
		validated++
	}
	t.Logf("validated %d Caddyfiles of README.md and Caddyfile.example", validated)
	if validated < 2 {
		t.Fatalf("validated only %d Caddyfiles, want README.md's and Caddyfile.example", validated)
	}
}
