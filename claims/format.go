package claims

import (
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf8"
)

// FormatHeaderValue renders a claim value for an HTTP request header sent
// upstream. A SuperTokens-shaped value {"v","t"} is unwrapped first. Then:
//
//   - a string, alone or as an array element, has the bytes "%", ",",
//     control characters (C0, DEL, C1), invalid UTF-8 and a space at
//     either end (which HTTP parsers and list splitters trim) percent-encoded
//     (RFC 3986 style, only those bytes) and everything else as is. "%"
//     always counts, so the encoding is one-to-one: "admin\x00" becomes
//     "admin%00" and "admin%00" becomes "admin%2500"; and "," always
//     counts, so the string "editor,admin" ("editor%2Cadmin") never reads
//     like the array ["editor","admin"] ("editor,admin");
//   - a number is written with exactly the digits it holds: a float64, or a
//     json.Number that a float64 holds exactly, in its shortest form as
//     JSON and JavaScript write it (3, 1.5, 1e+21); any other json.Number
//     (1234567890123456789) as written;
//   - a bool is "true" or "false", and null is the empty string;
//   - an array is its elements joined with ",". Nested arrays and objects
//     are written as compact JSON and then encoded as a string; null
//     elements are empty;
//   - an object is compact JSON, as FormatHeaderJSON writes it.
//
// The result never contains CR, LF, NUL or any other control byte, so it can
// never start a new header line.
func FormatHeaderValue(v any) string {
	v, _, _ = Unwrap(v)
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return EscapeHeaderString(x)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		return formatArray(x)
	case map[string]any:
		return formatJSON(x)
	}
	if b, ok := AppendNumber(nil, v); ok {
		return string(b)
	}
	return formatJSON(v)
}

// formatArray joins the elements of arr with ",", escaping each element.
func formatArray(arr []any) string {
	var b []byte
	for i, e := range arr {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendElement(b, e)
	}
	return string(b)
}

func appendElement(b []byte, e any) []byte {
	switch x := e.(type) {
	case nil:
		return b
	case string:
		return appendEscaped(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	}
	if out, ok := AppendNumber(b, e); ok {
		return out
	}
	return appendEscaped(b, formatJSON(e))
}

// FormatHeaderJSON renders a claim value as compact JSON for a header
// (the `json` form of a header mapping). A SuperTokens-shaped value is
// unwrapped first. encoding/json already escapes C0 control characters; DEL
// and C1 characters, which it leaves raw, are escaped as \u00XX too, so the
// result is valid JSON of the same value and holds no control byte. A value
// JSON cannot encode yields "".
func FormatHeaderJSON(v any) string {
	v, _, _ = Unwrap(v)
	return formatJSON(v)
}

func formatJSON(v any) string {
	out, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(escapeJSONControls(out))
}

// escapeJSONControls rewrites DEL and C1 characters in JSON text as \u00XX.
// They can only occur inside JSON strings, where the escape means the same.
func escapeJSONControls(b []byte) []byte {
	if !hasControl(string(b)) {
		return b
	}
	const hex = "0123456789abcdef"
	out := make([]byte, 0, len(b)+12)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == 0x7f || isC1(r) {
			out = append(out, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
		} else {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}

// appendNumber writes f the way encoding/json (and ECMAScript) does: plain
// decimal between 1e-6 and 1e21, exponent form with a minimal exponent
// outside that range. NaN and infinities, which JSON cannot hold, are empty.
func appendNumber(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b
	}
	abs := math.Abs(f)
	if abs == 0 || (abs >= 1e-6 && abs < 1e21) {
		return strconv.AppendFloat(b, f, 'f', -1, 64)
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, 'e', -1, 64)
	// Turn "1e-07" into "1e-7", as encoding/json does.
	if n := len(b) - start; n >= 4 && b[len(b)-4] == 'e' && b[len(b)-3] == '-' && b[len(b)-2] == '0' {
		b[len(b)-2] = b[len(b)-1]
		b = b[:len(b)-1]
	}
	return b
}

// EscapeHeaderString percent-encodes "%", ",", control characters,
// invalid UTF-8 and a space at either end of s, as FormatHeaderValue does
// for every string; s is returned as is when it holds none of them. Subjects reach headers and
// placeholders through it.
func EscapeHeaderString(s string) string {
	if !needsEscape(s, true) {
		return s
	}
	return string(appendEscaped(nil, s))
}

// needsEscape reports whether s holds a byte that appendEscaped rewrites;
// with delims false only control characters and invalid UTF-8 count.
func needsEscape(s string, delims bool) bool {
	if delims && edgeSpace(s) {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f || (delims && (c == ',' || c == '%')) {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || isC1(r) {
			return true
		}
		i += size
	}
	return false
}

// hasControl reports whether s holds a control character or invalid UTF-8.
func hasControl(s string) bool { return needsEscape(s, false) }

// appendEscaped appends s with "%", ",", control characters, invalid
// UTF-8 and a space at either end percent-encoded.
func appendEscaped(b []byte, s string) []byte {
	if !needsEscape(s, true) {
		return append(b, s...)
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f || c == ',' || c == '%' || c == ' ' && (i == 0 || i == len(s)-1) {
				b = appendPercent(b, c)
			} else {
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || isC1(r) {
			for j := range size {
				b = appendPercent(b, s[i+j])
			}
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

// edgeSpace reports whether s starts or ends with a space. Every HTTP
// parser drops the whitespace around a field value, and apps trim the
// items of a list they split on ",": such a space is encoded, or "alice "
// would reach the app as "alice".
func edgeSpace(s string) bool {
	return s != "" && (s[0] == ' ' || s[len(s)-1] == ' ')
}

func appendPercent(b []byte, c byte) []byte {
	const hex = "0123456789ABCDEF"
	return append(b, '%', hex[c>>4], hex[c&0xf])
}

// isC1 reports whether r is a C1 control character (U+0080–U+009F); NEL
// (U+0085) among them is a line break to some parsers.
func isC1(r rune) bool { return r >= 0x80 && r <= 0x9f }
