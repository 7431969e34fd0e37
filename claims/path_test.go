package claims

import (
	"reflect"
	"testing"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		name   string
		claims string
		path   string
		want   any
		wantOK bool
	}{
		{"a top-level claim is found", `{"email":"a@example.com"}`, "email", "a@example.com", true},
		{"a nested path descends through objects", `{"a":{"b":{"c":3}}}`, "a.b.c", 3.0, true},
		{"a flat key containing dots is found", `{"realm_access.roles":["x"]}`, "realm_access.roles", []any{"x"}, true},
		{"a nested object named like the flat key is found", `{"realm_access":{"roles":["x"]}}`, "realm_access.roles", []any{"x"}, true},
		{"a namespaced URL claim needs no escaping",
			`{"https://example.com/session.roles":["x"]}`, "https://example.com/session.roles", []any{"x"}, true},
		{"a namespaced URL object is descended into",
			`{"https://example.com/session":{"roles":["y"]}}`, "https://example.com/session.roles", []any{"y"}, true},
		{"the longest key wins when the shorter split leads nowhere",
			`{"https://example.com/session.roles":["x"],"https://example.com/session":{"id":1}}`,
			"https://example.com/session.roles", []any{"x"}, true},
		{"a shorter key is used when the longest holds no rest",
			`{"a.b":1,"a":{"b":{"c":2}}}`, "a.b.c", 2.0, true},
		{"a flat and a nested resolution together are ambiguous and missing",
			`{"realm_access.roles":["x"],"realm_access":{"roles":["x"]}}`, "realm_access.roles", nil, false},
		{"ambiguity deeper down is missing too",
			`{"a":{"b.c":1,"b":{"c":2}}}`, "a.b.c", nil, false},
		{"arrays cannot be indexed", `{"roles":["a","b"]}`, "roles.0", nil, false},
		{"an object key that looks like an index is an ordinary key", `{"roles":{"0":"a"}}`, "roles.0", "a", true},
		{"a path through a scalar is missing", `{"a":"x"}`, "a.b", nil, false},
		{"a missing claim is missing", `{"a":1}`, "b", nil, false},
		{"JSON null is present", `{"z":null}`, "z", nil, true},
		{"SuperTokens values are not unwrapped on the way down",
			`{"st":{"v":{"x":1},"t":1}}`, "st.x", nil, false},
		{"the empty path is missing", `{"":1}`, "", nil, false},
		{"keys are case sensitive", `{"Email":"x"}`, "email", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Lookup(claimsJSON(t, tc.claims), tc.path)
			if ok != tc.wantOK || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Lookup(%s, %q) = %#v, %v; want %#v, %v", tc.claims, tc.path, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestLookupOnNilClaimsIsMissing(t *testing.T) {
	if v, ok := Lookup(nil, "a"); ok || v != nil {
		t.Errorf("Lookup(nil) = %v, %v; want nil, false", v, ok)
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	claims := claimsJSON(t, `{"https://example.com/session":{"roles":["x"]},"realm_access":{"roles":["y"]}}`)
	allocs := testing.AllocsPerRun(100, func() {
		Lookup(claims, "https://example.com/session.roles")
		Lookup(claims, "realm_access.roles")
	})
	if allocs != 0 {
		t.Errorf("Lookup allocated %v times per run; want 0", allocs)
	}
}
