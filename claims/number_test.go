package claims

import (
	"encoding/json"
	"testing"
)

func TestNumbersCompareExactly(t *testing.T) {
	tests := []struct {
		name string
		a, b any
		want bool
	}{
		{"two integers above 2^53 that one float64 holds differ", json.Number("1234567890123456700"), json.Number("1234567890123456789"), false},
		{"the same digits are equal", json.Number("1234567890123456789"), json.Number("1234567890123456789"), true},
		{"1 equals 1.0 and 1e0", json.Number("1"), json.Number("1.0e0"), true},
		{"trailing and leading zeros do not count", json.Number("0012.500"), json.Number("1.25e1"), true},
		{"minus zero is zero", json.Number("-0"), json.Number("0.0"), true},
		{"signs count", json.Number("-5"), json.Number("5"), false},
		{"a float64 compares by its shortest form", 0.1, json.Number("0.1"), true},
		{"a float64 is not a longer neighbour", float64(1234567890123456789), json.Number("1234567890123456789"), false},
		{"a Go int compares exactly", int64(1234567890123456789), json.Number("1234567890123456789"), true},
		{"a huge exponent is not read, and not equal", json.Number("1e9999999999999999"), json.Number("1e9999999999999998"), false},
		{"a number is not a string", json.Number("3"), "3", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Equal(tc.a, tc.b); got != tc.want {
				t.Errorf("Equal(%#v, %#v) = %v; want %v", tc.a, tc.b, got, tc.want)
			}
			if got := Equal(tc.b, tc.a); got != tc.want {
				t.Errorf("Equal(%#v, %#v) = %v; want %v", tc.b, tc.a, got, tc.want)
			}
		})
	}
}

func TestExactNumbersInHeaders(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{json.Number("1234567890123456789"), "1234567890123456789"},
		{json.Number("3"), "3"},
		{json.Number("3.0"), "3"},
		{json.Number("1e21"), "1e+21"},
		{json.Number("0.10000000000000001"), "0.10000000000000001"},
		{[]any{json.Number("1234567890123456789"), "a,b"}, "1234567890123456789,a%2Cb"},
		{int64(9007199254740993), "9007199254740993"},
	}
	for _, tc := range tests {
		if got := FormatHeaderValue(tc.in); got != tc.want {
			t.Errorf("FormatHeaderValue(%#v) = %q; want %q", tc.in, got, tc.want)
		}
	}
	if got := FormatHeaderJSON(json.Number("1234567890123456789")); got != "1234567890123456789" {
		t.Errorf("json form = %q", got)
	}
}
