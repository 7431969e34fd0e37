package claims

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func TestFormatHeaderValue(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"a string is used as is", "alice", "alice"},
		{"a comma in a scalar string is encoded, so it never reads as an array", "a,b", "a%2Cb"},
		{"a percent sign in a scalar string is always encoded", "50%", "50%25"},
		{"an encoded-looking string differs from the control character", "admin%00", "admin%2500"},
		{"a CRLF header injection is encoded", "evil\r\nX-Admin: 1", "evil%0D%0AX-Admin: 1"},
		{"once a scalar is encoded its percent signs are too", "a%\n", "a%25%0A"},
		{"NUL is encoded", "nul\x00", "nul%00"},
		{"a tab is encoded", "a\tb", "a%09b"},
		{"DEL is encoded", "a\x7f", "a%7F"},
		{"unicode passes through", "José 日本", "José 日本"},
		{"the C1 line break NEL is encoded", "a\u0085b", "a%C2%85b"},
		{"invalid UTF-8 is encoded", "a\xffb", "a%FFb"},
		{"an integral number has no fraction or exponent", 3.0, "3"},
		{"a fraction is shortest", 1.5, "1.5"},
		{"a negative number", -2.0, "-2"},
		{"1e20 is written out as in JSON", 1e20, "100000000000000000000"},
		{"1e21 uses an exponent as in JSON", 1e21, "1e+21"},
		{"a tiny number uses a minimal exponent", 1e-7, "1e-7"},
		{"a Go int is a number", 42, "42"},
		{"true", true, "true"},
		{"false", false, "false"},
		{"null is empty", nil, ""},
		{"an array is joined with commas", []any{"a", "b"}, "a,b"},
		{"an empty array is empty", []any{}, ""},
		{"a comma inside an element is encoded", []any{"a,b", "c"}, "a%2Cb,c"},
		{"a percent sign inside an element is encoded", []any{"50%"}, "50%25"},
		{"a CRLF inside an element is encoded", []any{"x\r\nY: z"}, "x%0D%0AY: z"},
		{"mixed scalar elements", []any{1.0, 1.5, true, nil, "s"}, "1,1.5,true,,s"},
		{"a nested array is compact JSON with its commas encoded", []any{[]any{"a", "b"}, "c"}, `["a"%2C"b"],c`},
		{"an object element is compact JSON, encoded", []any{map[string]any{"k": "v,w"}}, `{"k":"v%2Cw"}`},
		{"an object is compact JSON", map[string]any{"k": 1.0, "a": "x\ny"}, `{"a":"x\ny","k":1}`},
		{"a SuperTokens value is unwrapped", map[string]any{"v": []any{"a", "b"}, "t": 1.0}, "a,b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := FormatHeaderValue(tc.in); got != tc.want {
				t.Errorf("FormatHeaderValue(%#v) = %q; want %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzFormatHeaderValue pins the header invariants: no control byte ever
// reaches the header, a string round-trips exactly through percent-decoding
// (so two strings never share a header value), and an array of strings
// round-trips exactly through splitting on "," and percent-decoding.
func FuzzFormatHeaderValue(f *testing.F) {
	for _, s := range []string{"", "a", "a,b", "%", "%2C", "\r\n", "é", "\x85", "\xc2\x85", "\x00",
		"admin\x00", "admin%00", "editor,admin", "cn=a,dc=b", "%25", "50%"} {
		f.Add(s, "x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, v := range []any{a, []any{a, b}, map[string]any{a: b}} {
			if out := FormatHeaderValue(v); strings.ContainsFunc(out, isControl) {
				t.Fatalf("FormatHeaderValue(%q) = %q holds a control character", v, out)
			}
		}
		// A scalar string decodes back to itself and never holds a ",".
		if out := FormatHeaderValue(a); strings.Contains(out, ",") {
			t.Fatalf("string %q formatted with a raw comma: %q", a, out)
		} else if got, err := url.PathUnescape(out); err != nil || got != a {
			t.Fatalf("string %q formatted as %q decodes to %q, %v", a, out, got, err)
		}
		parts := strings.Split(FormatHeaderValue([]any{a, b}), ",")
		if len(parts) != 2 {
			t.Fatalf("array of 2 formatted into %d elements: %q", len(parts), parts)
		}
		for i, want := range []string{a, b} {
			if got, err := url.PathUnescape(parts[i]); err != nil || got != want {
				t.Fatalf("element %d decodes to %q, %v; want %q", i, got, err, want)
			}
		}
	})
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || isC1(r) }

func TestFormatHeaderValueOfDecodedClaims(t *testing.T) {
	var v any
	if err := json.Unmarshal([]byte(`["admin","editor"]`), &v); err != nil {
		t.Fatal(err)
	}
	if got := FormatHeaderValue(v); got != "admin,editor" {
		t.Errorf("got %q; want %q", got, "admin,editor")
	}
}

func TestFormatHeaderJSON(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"an array is compact JSON", []any{"a", "b,c"}, `["a","b,c"]`},
		{"a string is quoted", "x", `"x"`},
		{"line breaks are JSON escapes", "a\r\n", `"a\r\n"`},
		{"DEL and NEL are JSON escapes", "a\x7f\u0085", `"a\u007f\u0085"`},
		{"a SuperTokens value is unwrapped", map[string]any{"v": 1.0, "t": 1.0}, `1`},
		{"null is null", nil, `null`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := FormatHeaderJSON(tc.in)
			if got != tc.want {
				t.Fatalf("FormatHeaderJSON(%#v) = %s; want %s", tc.in, got, tc.want)
			}
			var back any
			if err := json.Unmarshal([]byte(got), &back); err != nil {
				t.Fatalf("result is not JSON: %v", err)
			}
		})
	}
}
