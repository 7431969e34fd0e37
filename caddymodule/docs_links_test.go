package caddymodule

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// The documentation's relative links, checked so that moving a page or
// renaming a heading cannot leave a reader at a dead end.

var (
	// mdLink is an inline Markdown link or image: [text](target).
	mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	// mdCodeSpan is an inline code span, whose brackets are not links.
	mdCodeSpan = regexp.MustCompile("`[^`\n]*`")
)

// linkedPages are the pages whose links are checked: README.md,
// ARCHITECTURE.md and docs/*.md.
func linkedPages(t *testing.T) []string {
	t.Helper()
	pages := docFiles(t)
	if _, err := os.Stat("../ARCHITECTURE.md"); err == nil {
		pages = append(pages, "../ARCHITECTURE.md")
	}
	return pages
}

// mdProse returns the lines of a Markdown page with code spans removed and
// fenced code blocks blanked, so index i is line i+1.
func mdProse(text string) []string {
	var out []string
	fenced := false
	for l := range strings.Lines(text) {
		fence := strings.HasPrefix(strings.TrimSpace(l), "```")
		if fence {
			fenced = !fenced
		}
		if fence || fenced {
			out = append(out, "")
			continue
		}
		out = append(out, mdCodeSpan.ReplaceAllString(strings.TrimRight(l, "\n"), ""))
	}
	return out
}

// mdAnchor is the fragment GitHub gives a heading: lower case, spaces to
// hyphens, everything but letters, digits, hyphens and underscores dropped.
func mdAnchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdAnchors returns the fragments of a page's headings, numbered as GitHub
// numbers repeated ones (name, name-1, name-2, …).
func mdAnchors(t *testing.T, path string) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	seen := map[string]int{}
	fenced := false
	for l := range strings.Lines(string(data)) {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fenced = !fenced
			continue
		}
		text, ok := strings.CutPrefix(strings.TrimLeft(l, "#"), " ")
		if fenced || !strings.HasPrefix(l, "#") || !ok {
			continue
		}
		a := mdAnchor(strings.TrimSpace(text))
		if n := seen[a]; n > 0 {
			anchors[a+"-"+strconv.Itoa(n)] = true
		} else {
			anchors[a] = true
		}
		seen[a]++
	}
	return anchors
}

func TestDocLinksResolve(t *testing.T) {
	checked := 0
	for _, page := range linkedPages(t) {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range mdProse(string(data)) {
			for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				checked++
				file, frag, _ := strings.Cut(target, "#")
				dest := page
				if file != "" {
					dest = filepath.Join(filepath.Dir(page), file)
					if _, err := os.Stat(dest); err != nil {
						t.Errorf("%s:%d: link %q: no such file", strings.TrimPrefix(page, "../"), i+1, target)
						continue
					}
				}
				if frag == "" {
					continue
				}
				if !strings.HasSuffix(dest, ".md") {
					t.Errorf("%s:%d: link %q: a fragment into a file that is not Markdown", strings.TrimPrefix(page, "../"), i+1, target)
					continue
				}
				if !mdAnchors(t, dest)[frag] {
					t.Errorf("%s:%d: link %q: %s has no heading #%s", strings.TrimPrefix(page, "../"), i+1, target, strings.TrimPrefix(dest, "../"), frag)
				}
			}
		}
	}
	if checked < 20 {
		t.Fatalf("checked only %d links; is the link pattern broken?", checked)
	}
}
