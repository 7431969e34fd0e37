package claims

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
)

// Limits on a `matches` pattern. Go's regexp (RE2) matches in time linear
// in the input, but the factor is the compiled program's size, and counted
// repetitions such as `(a{100}){10}` multiply it: both bounds keep one
// request's match cheap whatever the configuration says.
const (
	// MaxPatternBytes is the longest pattern source accepted.
	MaxPatternBytes = 1024
	// MaxPatternInsts is the largest compiled program accepted, in
	// instructions (`^svc-[a-z]+$` takes about ten).
	MaxPatternInsts = 2000
)

// ErrBadPattern matches every error of CompilePattern.
var ErrBadPattern = errors.New("bad pattern")

// Pattern is a compiled `matches` pattern. It is immutable and safe for
// concurrent use.
type Pattern struct {
	src string
	re  *regexp.Regexp
}

// CompilePattern compiles a `matches` pattern in RE2 syntax, as Go's regexp
// reads it. It refuses an empty pattern, a syntax error, and a pattern over
// MaxPatternBytes or MaxPatternInsts, with an error matching ErrBadPattern
// that says why.
func CompilePattern(src string) (*Pattern, error) {
	if src == "" {
		return nil, fmt.Errorf("empty pattern: %w", ErrBadPattern)
	}
	if len(src) > MaxPatternBytes {
		return nil, fmt.Errorf("pattern is %d bytes, more than %d: %w", len(src), MaxPatternBytes, ErrBadPattern)
	}
	parsed, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("parsing pattern: %w: %w", err, ErrBadPattern)
	}
	prog, err := syntax.Compile(parsed.Simplify())
	if err != nil {
		return nil, fmt.Errorf("compiling pattern: %w: %w", err, ErrBadPattern)
	}
	if n := len(prog.Inst); n > MaxPatternInsts {
		return nil, fmt.Errorf("pattern compiles to %d instructions, more than %d: %w", n, MaxPatternInsts, ErrBadPattern)
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, fmt.Errorf("compiling pattern: %w: %w", err, ErrBadPattern)
	}
	// Leftmost-longest: see MatchWhole.
	re.Longest()
	return &Pattern{src: src, re: re}, nil
}

// MatchWhole reports whether the whole of s matches: the pattern is
// anchored at both ends whatever it says, so `svc-[a-z]+` does not pass
// "svc-a/../admin", `a|b` means `^(a|b)$`, and a `(?m)` pattern cannot pass
// one line of a multi-line value. It anchors by checking the match rather
// than by wrapping the source in `^(?:…)$`, which a source such as `a)|(b`
// or `\Qa` would escape or break. With leftmost-longest matching, a match
// of all of s exists exactly when the leftmost-longest match spans s.
func (p *Pattern) MatchWhole(s string) bool {
	loc := p.re.FindStringIndex(s)
	return loc != nil && loc[0] == 0 && loc[1] == len(s)
}

// String returns the pattern's source as configured.
func (p *Pattern) String() string { return p.src }
