package claims

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestParseLiteral(t *testing.T) {
	tests := []struct {
		name   string
		tok    string
		quoted bool
		want   any
	}{
		{"an unquoted true is the boolean", "true", false, true},
		{"a quoted true is the string", "true", true, "true"},
		{"an unquoted number is an exact number", "3", false, json.Number("3")},
		{"a quoted number is a string", "3", true, "3"},
		{"a decimal number keeps its fraction", "1.5", false, json.Number("1.5")},
		{"an integer above 2^53 keeps every digit", "1234567890123456789", false, json.Number("1234567890123456789")},
		{"an unquoted null is null", "null", false, nil},
		{"an unquoted JSON array is an array", `["a",1]`, false, []any{"a", json.Number("1")}},
		{"an unquoted JSON object is an object", `{"k":1}`, false, map[string]any{"k": json.Number("1")}},
		{"a quoted JSON array is a string", `["a"]`, true, `["a"]`},
		{"a bare word is a string", "admin", false, "admin"},
		{"a bare word with a colon is a string", "blog:write", false, "blog:write"},
		{"a number with a leading zero is not JSON, so a string", "007", false, "007"},
		{"a number a float64 cannot hold is still that number", "1e400", false, json.Number("1e400")},
		{"broken JSON is a string", `["a",`, false, `["a",`},
		{"an empty token is the empty string", "", false, ""},
		{"an unquoted JSON string is that string", `"x"`, false, "x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ParseLiteral(tc.tok, tc.quoted)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseLiteral(%q, %v) = %#v; want %#v", tc.tok, tc.quoted, got, tc.want)
			}
		})
	}
}

func TestUnwrap(t *testing.T) {
	tests := []struct {
		name       string
		in         any
		wantValue  any
		wantTime   time.Time
		wantShaped bool
	}{
		{"a SuperTokens value yields v and t", map[string]any{"v": []any{"a"}, "t": 1700000000123.0},
			[]any{"a"}, time.UnixMilli(1700000000123), true},
		{"a json.Number t is accepted", map[string]any{"v": true, "t": json.Number("1000")},
			true, time.UnixMilli(1000), true},
		{"a fractional t keeps sub-millisecond time", map[string]any{"v": 1.0, "t": 1500.5},
			1.0, time.Unix(1, 500500000), true},
		{"a null v is a value", map[string]any{"v": nil, "t": 0.0}, nil, time.UnixMilli(0), true},
		{"an extra key means not shaped", map[string]any{"v": 1.0, "t": 1.0, "x": 1.0},
			map[string]any{"v": 1.0, "t": 1.0, "x": 1.0}, time.Time{}, false},
		{"a missing t means not shaped", map[string]any{"v": 1.0, "x": 1.0},
			map[string]any{"v": 1.0, "x": 1.0}, time.Time{}, false},
		{"a string t means not shaped", map[string]any{"v": 1.0, "t": "1"},
			map[string]any{"v": 1.0, "t": "1"}, time.Time{}, false},
		{"an absurd t means not shaped", map[string]any{"v": 1.0, "t": 1e300},
			map[string]any{"v": 1.0, "t": 1e300}, time.Time{}, false},
		{"a plain string is returned as is", "x", "x", time.Time{}, false},
		{"a plain array is returned as is", []any{"x"}, []any{"x"}, time.Time{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, at, shaped := Unwrap(tc.in)
			if !reflect.DeepEqual(v, tc.wantValue) || !at.Equal(tc.wantTime) || shaped != tc.wantShaped {
				t.Errorf("Unwrap(%#v) = %#v, %v, %v; want %#v, %v, %v", tc.in, v, at, shaped, tc.wantValue, tc.wantTime, tc.wantShaped)
			}
		})
	}
}

func TestJSONEqualIsTypeExact(t *testing.T) {
	tests := []struct {
		name string
		a, b any
		want bool
	}{
		{"the string true is not the boolean", "true", true, false},
		{"the string 1 is not the number", "1", 1.0, false},
		{"a string is not an array holding it", "admin", []any{"admin"}, false},
		{"1 equals 1.0", 1.0, 1.0, true},
		{"an int equals the same float64", 1, 1.0, true},
		{"a json.Number equals the same float64", json.Number("2.5"), 2.5, true},
		{"null equals only null", nil, nil, true},
		{"null is not false", nil, false, false},
		{"0 is not false", 0.0, false, false},
		{"the empty string is not null", "", nil, false},
		{"arrays compare element by element", []any{"a", 1.0}, []any{"a", 1.0}, true},
		{"arrays compare in order", []any{"a", "b"}, []any{"b", "a"}, false},
		{"arrays of different length differ", []any{"a"}, []any{"a", "a"}, false},
		{"objects compare deeply", map[string]any{"k": []any{1.0}}, map[string]any{"k": []any{1.0}}, true},
		{"objects with different keys differ", map[string]any{"k": 1.0}, map[string]any{"j": 1.0}, false},
		{"an object is not an array", map[string]any{}, []any{}, false},
		{"a foreign type equals nothing", struct{}{}, struct{}{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Equal(tc.a, tc.b); got != tc.want {
				t.Errorf("Equal(%#v, %#v) = %v; want %v", tc.a, tc.b, got, tc.want)
			}
			if got := Equal(tc.b, tc.a); got != tc.want {
				t.Errorf("Equal(%#v, %#v) = %v; want %v (symmetry)", tc.b, tc.a, got, tc.want)
			}
		})
	}
}
