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
	re, err := anchored(src)
	if err != nil {
		return nil, fmt.Errorf("compiling pattern: %w: %w", err, ErrBadPattern)
	}
	return &Pattern{src: src, re: re}, nil
}

// anchored compiles src anchored at both ends: `^(?:src)$`, so `a|b`
// means `^(a|b)$` and a `(?m)` inside stays inside. An anchored program
// also stops reading as soon as no match can start at the beginning:
// unanchored, every position of the value is a start, and a long claim
// value (a token of max_token_size, a claim source's megabyte) costs the
// program's size times the value's length on every request.
//
// The wrapper cannot be escaped: src parsed alone, so its groups and
// classes are closed and the wrapper's ")" closes the wrapper's own group,
// unless src ends inside \Q (quoting runs to the end of the source), where
// the wrapped form does not parse; then a "\E" ends the quote first.
func anchored(src string) (*regexp.Regexp, error) {
	if re, err := regexp.Compile(`^(?:` + src + `)$`); err == nil {
		return re, nil
	}
	return regexp.Compile(`^(?:` + src + `\E)$`)
}

// MatchWhole reports whether the whole of s matches: the pattern is
// anchored at both ends whatever it says, so `svc-[a-z]+` does not pass
// "svc-a/../admin", `a|b` means `^(a|b)$`, and a `(?m)` pattern cannot pass
// one line of a multi-line value.
func (p *Pattern) MatchWhole(s string) bool {
	return p.re.MatchString(s)
}

// String returns the pattern's source as configured.
func (p *Pattern) String() string { return p.src }
