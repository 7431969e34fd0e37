package policy

import (
	"context"
	"reflect"
	"testing"
	"time"
)

func TestCompileRefusesInvalidSpecs(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
	}{
		{"an unknown op", spec("a", "equals", "x")},
		{"has_value without a value", spec("a", OpHasValue)},
		{"has_value with two values", spec("a", OpHasValue, "x", "y")},
		{"is_true with a value", spec("a", OpIsTrue, true)},
		{"is_false with a value", spec("a", OpIsFalse, false)},
		{"exists with a value", spec("a", OpExists, "x")},
		{"includes with two values", spec("a", OpIncludes, "x", "y")},
		{"excludes without a value", spec("a", OpExcludes)},
		{"includes_all without values", spec("a", OpIncludesAll)},
		{"excludes_all without values", spec("a", OpExcludesAll)},
		{"one_of without values", spec("a", OpOneOf)},
		{"an empty claim path", spec("", OpExists)},
		{"a negative max age", Spec{Claim: "a", Op: OpExists, MaxAge: -time.Second, HasMaxAge: true}},
		{"permission without a value", Spec{Op: OpPermission}},
		{"permission with two values", Spec{Op: OpPermission, Values: []any{"a", "b"}}},
		{"a permission that is not a string", Spec{Op: OpPermission, Values: []any{1.0}}},
		{"an empty permission", Spec{Op: OpPermission, Values: []any{""}}},
		{"a permission no role grants", Spec{Op: OpPermission, Values: []any{"nobody:has"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			roles := map[string][]string{"editor": {"blog:write"}}
			_, err := Compile([]Spec{tc.spec}, Options{Roles: roles})
			wantErrorIs(t, err, ErrInvalidSpec)
		})
	}
}

func TestCompileAssignsIDs(t *testing.T) {
	p := mustCompile(t, Options{},
		spec("realm_access.roles", OpIncludes, "admin"),
		Spec{ID: "verified", Claim: "email_verified", Op: OpIsTrue},
		Spec{Op: OpPermission, Values: []any{"blog:write"}},
		Spec{ID: "second", Claim: "realm_access.roles", Op: OpExcludes, Values: []any{"banned"}},
	)
	want := []string{"realm_access.roles", "verified", "permission:blog:write", "second"}
	if got := p.IDs(); !reflect.DeepEqual(got, want) {
		t.Errorf("IDs() = %q; want %q", got, want)
	}
	if p.Len() != 4 || !p.Has("verified") || p.Has("email_verified") {
		t.Errorf("Len/Has disagree with IDs %q", p.IDs())
	}
}

func TestCompileRefusesDuplicateIDs(t *testing.T) {
	tests := []struct {
		name  string
		specs []Spec
	}{
		{"two validators on one claim without ids",
			[]Spec{spec("roles", OpIncludes, "a"), spec("roles", OpExcludes, "b")}},
		{"an explicit id equal to another claim",
			[]Spec{spec("roles", OpIncludes, "a"), {ID: "roles", Claim: "x", Op: OpExists}}},
		{"the same permission twice",
			[]Spec{{Op: OpPermission, Values: []any{"blog:read"}}, {Op: OpPermission, Values: []any{"blog:read"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.specs, Options{Roles: testRoles})
			wantErrorIs(t, err, ErrDuplicateID)
		})
	}
}

func TestMerge(t *testing.T) {
	global := mustCompile(t, Options{},
		spec("email_verified", OpIsTrue), spec("tenant", OpHasValue, "acme"), spec("mfa", OpIsTrue))
	route := mustCompile(t, Options{}, spec("roles", OpIncludes, "admin"))
	tests := []struct {
		name          string
		global, route *Policy
		skip          []string
		want          []string
		wantErr       error
	}{
		{"global validators come first, then the route's", global, route, nil,
			[]string{"email_verified", "tenant", "mfa", "roles"}, nil},
		{"skipped global validators are removed", global, route, []string{"tenant", "mfa"},
			[]string{"email_verified", "roles"}, nil},
		{"skipping every global validator leaves the route's", global, route,
			[]string{"mfa", "tenant", "email_verified"}, []string{"roles"}, nil},
		{"a nil route keeps the global validators", global, nil, []string{"mfa"},
			[]string{"email_verified", "tenant"}, nil},
		{"a nil global keeps the route validators", nil, route, nil, []string{"roles"}, nil},
		{"two nil policies merge into an empty one", nil, nil, nil, []string{}, nil},
		{"an unknown skip id is an error", global, route, []string{"nope"}, nil, ErrUnknownID},
		{"skipping a route validator is an error", global, route, []string{"roles"}, nil, ErrUnknownID},
		{"any skip with no global policy is an error", nil, route, []string{"mfa"}, nil, ErrUnknownID},
		{"an id in both policies is an error", global,
			mustCompile(t, Options{}, spec("tenant", OpHasValue, "other")), nil, nil, ErrDuplicateID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Merge(tc.global, tc.route, tc.skip)
			if tc.wantErr != nil {
				wantErrorIs(t, err, tc.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("Merge: %v", err)
			}
			if got := p.IDs(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("IDs() = %q; want %q", got, tc.want)
			}
		})
	}
}

func TestMergeLeavesItsInputsUnchanged(t *testing.T) {
	global := mustCompile(t, Options{}, spec("a", OpExists), spec("b", OpExists))
	route := mustCompile(t, Options{}, spec("c", OpExists))
	if _, err := Merge(global, route, []string{"a"}); err != nil {
		t.Fatal(err)
	}
	if got := global.IDs(); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("global IDs after Merge = %q", got)
	}
	if got := route.IDs(); !reflect.DeepEqual(got, []string{"c"}) {
		t.Errorf("route IDs after Merge = %q", got)
	}
}

func TestANilPolicyAllowsEverything(t *testing.T) {
	var p *Policy
	id := identity(t, `{}`)
	out, d, err := p.Evaluate(context.Background(), id)
	if out != id || d != nil || err != nil {
		t.Errorf("nil policy: got %v, %v, %v; want the identity, nil, nil", out, d, err)
	}
	if p.Len() != 0 || len(p.IDs()) != 0 || p.Has("x") {
		t.Errorf("nil policy reports validators")
	}
}
