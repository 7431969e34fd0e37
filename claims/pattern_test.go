package claims

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
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
		{`\Qa)|(b`, "a)|(b", true}, // quoted to the end: the wrapper's ")" stays out
		{`\Qa)|(b`, "a", false},
		{`x|\Qa\`, `a\`, true},
		{`x|\Qa\`, "x", true},
		{`x|\Qa\`, `xa\`, false},
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

// A long claim value costs about its length, not its length times the
// pattern's size: an anchored program stops as soon as no match can start
// at the beginning. Unanchored, these took 1 s and 14 s on a megabyte (and
// 8 ms and 70 ms on an 8 KiB token's worth), on every request.
func TestMatchWholeOnAMegabyteIsCheap(t *testing.T) {
	big := strings.Repeat("a", 1<<20)
	for _, src := range []string{
		`[a-z0-9._%+-]{1,20}@[a-z0-9.-]{1,40}\.example`,
		`(a|aa|aaa|aaaa|b){1,40}c`,
		`acme-[a-z]{2,8}`,
	} {
		p, err := CompilePattern(src)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if p.MatchWhole(big) {
			t.Fatalf("%q matched", src)
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("%q on 1 MiB took %v", src, d)
		}
	}
}

// FuzzMatchWhole checks MatchWhole against an independent reading of
// "the whole value matches": the leftmost-longest match of the unanchored
// pattern starts at 0 and ends at the end (a whole match, if there is one,
// starts leftmost and is longest). \Q patterns included.
func FuzzMatchWhole(f *testing.F) {
	f.Add("svc-[a-z]+", "svc-a")
	f.Add("a|ab", "ab")
	f.Add("(?m)^a$", "x\na")
	f.Add("(a*)*b?", "aaab")
	f.Add(`\Qa)|(b`, "a)|(b")
	f.Add(`x\Qa\`, `xa\`)
	f.Fuzz(func(t *testing.T, pattern, s string) {
		p, err := CompilePattern(pattern)
		if err != nil {
			return
		}
		ref := regexp.MustCompile(pattern)
		ref.Longest()
		loc := ref.FindStringIndex(s)
		want := loc != nil && loc[0] == 0 && loc[1] == len(s)
		if got := p.MatchWhole(s); got != want {
			t.Fatalf("%q.MatchWhole(%q) = %v, leftmost-longest reference says %v", pattern, s, got, want)
		}
	})
}
