package claims

import (
	"encoding/json"
	"strconv"

	"github.com/authgate/authgate/internal/jsonnum"
)

// decimal is a number in canonical form, read without loss from its
// decimal text: value = ±0.D × 10^exp, where the significant digits D are
// hi followed by lo (two substrings of the text, so reading allocates
// nothing), with no leading or trailing zero. Zero has no digits and exp 0.
type decimal struct {
	neg    bool
	hi, lo string
	exp    int64
}

// maxExpDigits bounds the exponent text we read; no claim needs more, and
// int64 arithmetic on it cannot overflow.
const maxExpDigits = 15

// parseDecimal reads a JSON number (RFC 8259 section 6), also accepting a
// leading "+" in the exponent as strconv writes it. ok is false for any
// other text.
func parseDecimal(s string) (d decimal, ok bool) {
	if s != "" && s[0] == '-' {
		d.neg, s = true, s[1:]
	}
	intPart, rest := digitRun(s)
	if intPart == "" {
		return d, false
	}
	var frac string
	if rest != "" && rest[0] == '.' {
		if frac, rest = digitRun(rest[1:]); frac == "" {
			return d, false
		}
	}
	var exp int64
	if rest != "" && (rest[0] == 'e' || rest[0] == 'E') {
		if exp, rest, ok = parseExponent(rest[1:]); !ok {
			return d, false
		}
	}
	if rest != "" {
		return d, false
	}
	return canonical(d.neg, intPart, frac, exp), true
}

func digitRun(s string) (digits, rest string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i], s[i:]
}

func parseExponent(s string) (int64, string, bool) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	digits, rest := digitRun(s)
	if digits == "" || len(digits) > maxExpDigits {
		return 0, rest, false
	}
	n, _ := strconv.ParseInt(digits, 10, 64)
	if neg {
		n = -n
	}
	return n, rest, true
}

// canonical strips the zeros of intPart.frac × 10^exp.
func canonical(neg bool, intPart, frac string, exp int64) decimal {
	exp += int64(len(intPart))
	for intPart != "" && intPart[0] == '0' {
		intPart, exp = intPart[1:], exp-1
	}
	if intPart == "" {
		for frac != "" && frac[0] == '0' {
			frac, exp = frac[1:], exp-1
		}
	}
	for frac != "" && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	if frac == "" {
		for intPart != "" && intPart[len(intPart)-1] == '0' {
			intPart = intPart[:len(intPart)-1]
		}
	}
	if intPart == "" && frac == "" {
		return decimal{}
	}
	return decimal{neg: neg, hi: intPart, lo: frac, exp: exp}
}

func (d decimal) equal(e decimal) bool {
	if d.neg != e.neg || d.exp != e.exp || len(d.hi)+len(d.lo) != len(e.hi)+len(e.lo) {
		return false
	}
	for i := range len(d.hi) + len(d.lo) {
		if d.digit(i) != e.digit(i) {
			return false
		}
	}
	return true
}

func (d decimal) digit(i int) byte {
	if i < len(d.hi) {
		return d.hi[i]
	}
	return d.lo[i-len(d.hi)]
}

// numberText returns the decimal text of a number value: a json.Number as
// written, a float in its shortest round-tripping form (what JSON would
// write for it), an integer type exactly. ok is false for a non-number and
// for NaN or an infinity.
func numberText(v any) (string, bool) {
	switch n := v.(type) {
	case json.Number:
		return string(n), true
	case int:
		return strconv.Itoa(n), true
	case int64:
		return strconv.FormatInt(n, 10), true
	case int32:
		return strconv.FormatInt(int64(n), 10), true
	case uint64:
		return strconv.FormatUint(n, 10), true
	case uint32:
		return strconv.FormatUint(uint64(n), 10), true
	}
	f, ok := jsonnum.Float(v)
	if !ok || f != f || f > maxFloat || f < -maxFloat {
		return "", false
	}
	return strconv.FormatFloat(f, 'e', -1, 64), true
}

const maxFloat = 1.7976931348623157e308

// numbersEqual compares two numbers exactly by their decimal values, so
// 1234567890123456700 never equals 1234567890123456789 (as float64 they
// would), while 1, 1.0 and 1e0 are equal. ok is false when a is not a
// number.
func numbersEqual(a, b any) (equal, ok bool) {
	if x, isNum := a.(json.Number); isNum {
		if y, same := b.(json.Number); same && x == y {
			return true, true
		}
	}
	as, ok := numberText(a)
	if !ok {
		return false, isNumber(a)
	}
	bs, bok := numberText(b)
	if !bok {
		return false, true
	}
	x, xok := parseDecimal(as)
	y, yok := parseDecimal(bs)
	return xok && yok && x.equal(y), true
}

// isNumber reports whether v is a number in any Go representation.
func isNumber(v any) bool {
	_, ok := jsonnum.Float(v)
	if !ok {
		_, ok = v.(json.Number)
	}
	return ok
}

// AppendNumber writes the number v for a header: exactly the digits
// it holds. A number that a float64 holds exactly in shortest form is
// written as JSON writes a float (3, 1.5, 1e+21), as before exact numbers;
// any other json.Number (1234567890123456789, 0.10000000000000001) is
// written as the token wrote it. ok is false for a non-number.
func AppendNumber(b []byte, v any) ([]byte, bool) {
	switch n := v.(type) {
	case json.Number:
		return appendJSONNumber(b, n)
	case float64:
		return appendNumber(b, n), true
	case float32:
		return appendNumber(b, float64(n)), true
	}
	if text, ok := numberText(v); ok {
		return append(b, text...), true
	}
	return b, false
}

func appendJSONNumber(b []byte, n json.Number) ([]byte, bool) {
	d, ok := parseDecimal(string(n))
	if !ok {
		return b, false
	}
	if f, err := n.Float64(); err == nil {
		if fd, ok := parseDecimal(strconv.FormatFloat(f, 'e', -1, 64)); ok && fd.equal(d) {
			return appendNumber(b, f), true
		}
	}
	return append(b, n...), true
}
