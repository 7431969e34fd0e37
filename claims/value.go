package claims

import (
	"math"
	"time"

	"github.com/authgate/authgate/internal/jsonnum"
)

// ParseLiteral reads a validator operand as written in a Caddyfile token.
// An unquoted token that parses as JSON is that JSON value (true, 3, null,
// ["a"], {"k":1}); a quoted token, and any token that is not JSON, is a
// string. So `has_value 3` compares against the number 3 and
// `has_value "3"` against the string "3". Numbers become json.Number, as
// claims are decoded, so they keep every digit.
func ParseLiteral(tok string, quoted bool) any {
	if quoted {
		return tok
	}
	var v any
	if err := jsonnum.Unmarshal([]byte(tok), &v); err != nil {
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
	ms, ok := jsonnum.Float(m["t"])
	if !ok || math.IsNaN(ms) || math.Abs(ms) > maxClaimMillis {
		return v, time.Time{}, false
	}
	sec := math.Floor(ms / 1000)
	nsec := (ms - sec*1000) * float64(time.Millisecond)
	return inner, time.Unix(int64(sec), int64(nsec)), true
}

// Equal compares two decoded JSON values type-exactly: a string never
// equals a number or a bool, a scalar never equals an array holding it, and
// numbers compare exactly by decimal value (1 == 1.0, but two integers
// above 2^53 that round to one float64 still differ). Arrays compare
// element by element in order; objects compare by their key sets and
// values.
func Equal(a, b any) bool {
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
	equal, _ := numbersEqual(a, b)
	return equal
}

func arraysEqual(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !Equal(a[i], b[i]) {
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
		if !ok || !Equal(av, bv) {
			return false
		}
	}
	return true
}

// FetchedAt returns when the claim value raw was obtained, judged at now
// for a credential issued at iat, and false when that is unknown. A
// SuperTokens-shaped value carries its fetch time t. Unless the gateway
// wrote t itself (trusted), the time is the earlier of t and iat, and a t
// in the future counts as iat: a value never looks fresher than the
// credential carrying it. A plain value is as old as iat.
func FetchedAt(raw any, iat time.Time, trusted bool, now time.Time) (time.Time, bool) {
	_, t, shaped := Unwrap(raw)
	switch {
	case !shaped:
		return iat, !iat.IsZero()
	case trusted:
		return t, true
	}
	if t.After(now) {
		t = iat
	}
	if t.IsZero() || !iat.IsZero() && iat.Before(t) {
		t = iat
	}
	return t, !t.IsZero()
}
