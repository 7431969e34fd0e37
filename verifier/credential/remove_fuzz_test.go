package credential

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// FuzzRemoveCookies feeds Cookie lines (separated by "\n") and a cookie
// name to RemoveCookies. Afterwards no line may hold a pair an app reads
// as that name (see appReadsAs), neither to net/http's parser nor to a
// lenient one splitting on ";" and ",", and taking "name=" after a space
// or tab as a pair too (as Python's SimpleCookie does); the other pairs
// stay as sent and in order; and the removed and kept pairs are, in
// order, the pairs that were sent.
func FuzzRemoveCookies(f *testing.F) {
	f.Add("a=1; s=x; b=2", "s")
	f.Add("s=x\na=1\ns=y; b=2", "s")
	f.Add("s=x;a=1;;s=y;", "s")
	f.Add("a=1;  \t s=x\t ;b", "s")
	f.Add(`a="1;2"; s="x"; s`, "s")
	f.Add("theme=x, s=y; lang=en", "s")
	f.Add("S=x; s.y=1; s_y=2", "s_y")
	f.Add("theme=x s=y; a=\"1\"\ts=z", "s")
	f.Fuzz(func(t *testing.T, cookies, name string) {
		if !isCookieToken(name) {
			return
		}
		lines := strings.Split(cookies, "\n")
		r := &http.Request{Header: http.Header{"Cookie": slices.Clone(lines)}}
		removed := RemoveCookies(r, CookieNamed(name))
		after := r.Header.Values("Cookie")
		for _, c := range r.Cookies() {
			if appReadsAs(c.Name, name) {
				t.Fatalf("net/http still reads %q in %q", c.Name, after)
			}
		}
		var kept []string
		for _, line := range after {
			if removed != "" && strings.TrimSpace(line) == "" {
				t.Fatalf("an empty Cookie line was left: %q", after)
			}
			for _, p := range strings.FieldsFunc(line, func(c rune) bool { return c == ';' || c == ',' }) {
				if n, _, _ := strings.Cut(p, "="); appReadsAs(strings.TrimSpace(n), name) {
					t.Fatalf("a pair named %q is left in %q", name, after)
				}
				for _, w := range strings.FieldsFunc(p, func(c rune) bool { return c == ' ' || c == '\t' }) {
					if n, _, ok := strings.Cut(w, "="); ok && appReadsAs(n, name) {
						t.Fatalf("a pair named %q is left after whitespace in %q", name, after)
					}
				}
			}
			kept = append(kept, trimmedPairs(line)...)
		}
		var gone []string
		if removed != "" {
			gone = trimmedPairs(removed)
		}
		for _, p := range trimmedPairs(strings.Join(lines, ";")) {
			switch {
			case len(gone) > 0 && p == gone[0]:
				gone = gone[1:]
			case len(kept) > 0 && p == kept[0]:
				kept = kept[1:]
			default:
				t.Fatalf("pair %q of %q is neither next kept (%q) nor next removed (%q)", p, lines, after, removed)
			}
		}
		if len(gone) > 0 || len(kept) > 0 {
			t.Fatalf("pairs %q / %q were not sent in %q", gone, kept, lines)
		}
	})
}

// appReadsAs reports whether some app reads a cookie sent as got as the
// cookie name: ASP.NET ignores ASCII case, PHP reads " " and "." as "_".
func appReadsAs(got, name string) bool {
	fold := func(r rune) rune {
		switch {
		case r == ' ' || r == '.':
			return '_'
		case 'A' <= r && r <= 'Z':
			return r + 'a' - 'A'
		}
		return r
	}
	return strings.Map(fold, got) == strings.Map(fold, name)
}

// trimmedPairs returns the non-empty ";"-separated pairs of s, trimmed.
func trimmedPairs(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// isCookieToken reports whether name could be configured as a cookie name.
func isCookieToken(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}
