package claims

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestMatchWholeIsAnchored(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"svc-[a-z]+", "svc-billing", true},
		{"svc-[a-z]+", "svc-a/../admin", false},
		{"svc-[a-z]+", "x-svc-a", false},
		{"^svc-[a-z]+$", "svc-billing", true},
		{"a|ab", "ab", true},
		{"ab|a", "a", true},
		{"a|b", "ab", false},
		{"(?m)^a$", "x\na", false},
		{"(?s).*", "x\ny", true},
		{".*", "x\ny", false},
		{`\Qa.b`, "a.b", true},
		{`\Qa.b`, "axb", false},
		{"", "", false}, // refused at compile
	} {
		p, err := CompilePattern(tc.pattern)
		if tc.pattern == "" {
			if !errors.Is(err, ErrBadPattern) {
				t.Errorf("CompilePattern(\"\") error = %v, want ErrBadPattern", err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("CompilePattern(%q): %v", tc.pattern, err)
		}
		if got := p.MatchWhole(tc.s); got != tc.want {
			t.Errorf("%q.MatchWhole(%q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
		if p.String() != tc.pattern {
			t.Errorf("String() = %q, want the source %q", p.String(), tc.pattern)
		}
	}
}

func TestCompilePatternRefusesEscapesAndOversizes(t *testing.T) {
	for _, src := range []string{
		"a)|(b",                   // would close a ^(?: … )$ wrapper
		"a\\",                     // trailing backslash
		"(?=a)",                   // not RE2
		strings.Repeat("a", 1025), // over MaxPatternBytes
		"[a-z]{1,1000}b{1,1000}",  // over MaxPatternInsts
		"((a{100}){100}){100}",    // Go refuses the repeat size itself
	} {
		if _, err := CompilePattern(src); !errors.Is(err, ErrBadPattern) {
			t.Errorf("CompilePattern(%.40q) error = %v, want ErrBadPattern", src, err)
		}
	}
}

// FuzzMatchWhole checks MatchWhole against the textbook anchoring
// `^(?:P)$` wherever that wrapping is sound (no \Q, which quotes to the end
// of the source and would swallow the wrapper).
func FuzzMatchWhole(f *testing.F) {
	f.Add("svc-[a-z]+", "svc-a")
	f.Add("a|ab", "ab")
	f.Add("(?m)^a$", "x\na")
	f.Add("(a*)*b?", "aaab")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		p, err := CompilePattern(pattern)
		if err != nil || strings.Contains(pattern, `\Q`) {
			return
		}
		ref, err := regexp.Compile(`^(?:` + pattern + `)$`)
		if err != nil {
			t.Fatalf("the wrapped form of accepted pattern %q does not compile: %v", pattern, err)
		}
		if got, want := p.MatchWhole(s), ref.MatchString(s); got != want {
			t.Fatalf("%q.MatchWhole(%q) = %v, anchored reference says %v", pattern, s, got, want)
		}
	})
}
