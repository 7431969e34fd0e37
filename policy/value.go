package policy

import (
	"encoding/json"
	"math"
	"time"
)

// ParseLiteral reads a validator operand as written in a Caddyfile token.
// An unquoted token that parses as JSON is that JSON value (true, 3, null,
// ["a"], {"k":1}); a quoted token, and any token that is not JSON, is a
// string. So `has_value 3` compares against the number 3 and
// `has_value "3"` against the string "3". Numbers become float64, as
// encoding/json decodes claims.
func ParseLiteral(tok string, quoted bool) any {
	if quoted {
		return tok
	}
	var v any
	if err := json.Unmarshal([]byte(tok), &v); err != nil {
		return tok
	}
	return v
}

// maxClaimMillis bounds the "t" of a SuperTokens-shaped value (about the
// year 33658) so the conversion to time.Time cannot overflow.
const maxClaimMillis = 1e15

// Unwrap returns the value inside a SuperTokens-shaped claim
// {"v": V, "t": unixMillis}, the time t, and true. The object must have
// exactly those two keys and t must be a finite number; anything else,
// including an object that merely has a "v" key, is returned unchanged with
// a zero time and false.
func Unwrap(v any) (value any, fetched time.Time, shaped bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 2 {
		return v, time.Time{}, false
	}
	inner, ok := m["v"]
	if !ok {
		return v, time.Time{}, false
	}
	ms, ok := toFloat(m["t"])
	if !ok || math.IsNaN(ms) || math.Abs(ms) > maxClaimMillis {
		return v, time.Time{}, false
	}
	sec := math.Floor(ms / 1000)
	nsec := (ms - sec*1000) * float64(time.Millisecond)
	return inner, time.Unix(int64(sec), int64(nsec)), true
}

// toFloat returns v as a float64 when it is a JSON number in any of the Go
// representations a decoder or a Go caller may produce.
func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case uint32:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// jsonEqual compares two decoded JSON values type-exactly: a string never
// equals a number or a bool, a scalar never equals an array holding it, and
// numbers compare by value (1 == 1.0). Arrays compare element by element in
// order; objects compare by their key sets and values.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		return ok && arraysEqual(x, y)
	case map[string]any:
		y, ok := b.(map[string]any)
		return ok && objectsEqual(x, y)
	}
	x, ok := toFloat(a)
	if !ok {
		return false
	}
	y, ok := toFloat(b)
	return ok && x == y
}

func arraysEqual(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !jsonEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

func objectsEqual(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, av := range a {
		bv, ok := b[k]
		if !ok || !jsonEqual(av, bv) {
			return false
		}
	}
	return true
}

// contains reports whether the array arr holds an element equal to v.
func contains(arr []any, v any) bool {
	for _, e := range arr {
		if jsonEqual(e, v) {
			return true
		}
	}
	return false
}
