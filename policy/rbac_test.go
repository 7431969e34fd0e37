package policy

import "testing"

func TestPermission(t *testing.T) {
	tests := []struct {
		name   string
		claims string
		perm   string
		want   string // reason JSON, "" for a pass
	}{
		{"a role granting the permission passes", `{"roles":["editor"]}`, "blog:write", ""},
		{"any one of several roles is enough", `{"roles":["viewer","editor"]}`, "blog:write", ""},
		{"a role without the permission fails with the roles as actualValue", `{"roles":["viewer"]}`, "blog:write",
			`{"message":"wrong value","expectedPermission":"blog:write","actualValue":["viewer"]}`},
		{"an unknown role grants nothing", `{"roles":["ghost"]}`, "blog:read",
			`{"message":"wrong value","expectedPermission":"blog:read","actualValue":["ghost"]}`},
		{"a single string role is refused", `{"roles":"editor"}`, "blog:write",
			`{"message":"wrong value","expectedPermission":"blog:write","actualValue":"editor"}`},
		{"non-string roles are skipped", `{"roles":[1,null,{"r":"editor"},"editor"]}`, "blog:write", ""},
		{"null roles fail", `{"roles":null}`, "blog:write",
			`{"message":"wrong value","expectedPermission":"blog:write","actualValue":null}`},
		{"an empty role list fails", `{"roles":[]}`, "blog:write",
			`{"message":"wrong value","expectedPermission":"blog:write","actualValue":[]}`},
		{"missing roles do not exist", `{}`, "blog:write",
			`{"message":"value does not exist","expectedPermission":"blog:write"}`},
		{"a granted * grants everything", `{"roles":["admin"]}`, "users:manage", ""},
		{"a granted blog:* grants blog:read", `{"roles":["owner"]}`, "blog:read", ""},
		{"a granted blog:* grants deeper permissions", `{"roles":["owner"]}`, "blog:posts:delete", ""},
		{"a granted blog:* does not grant blogs:read", `{"roles":["owner"]}`, "blogs:read",
			`{"message":"wrong value","expectedPermission":"blogs:read","actualValue":["owner"]}`},
		{"a granted blog:* does not grant blog", `{"roles":["owner"]}`, "blog",
			`{"message":"wrong value","expectedPermission":"blog","actualValue":["owner"]}`},
		{"a required blog:* is literal, not granted by blog:read", `{"roles":["viewer"]}`, "blog:*",
			`{"message":"wrong value","expectedPermission":"blog:*","actualValue":["viewer"]}`},
		{"a required blog:* is granted by blog:* itself", `{"roles":["owner"]}`, "blog:*", ""},
		{"roles are case sensitive", `{"roles":["Editor"]}`, "blog:write",
			`{"message":"wrong value","expectedPermission":"blog:write","actualValue":["Editor"]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			roles := map[string][]string{"users": {"blog"}}
			for r, ps := range testRoles {
				roles[r] = ps
			}
			p := mustCompile(t, Options{Roles: roles}, Spec{Op: OpPermission, Values: []any{tc.perm}})
			want := ""
			if tc.want != "" {
				want = denied("permission:"+tc.perm, tc.want)
			}
			if got := evaluate(t, p, identity(t, tc.claims)); got != want {
				t.Errorf("body\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestPermissionReadsTheConfiguredRolesClaim(t *testing.T) {
	p := mustCompile(t, Options{RolesClaim: "realm_access.roles"},
		Spec{ID: "can-write", Claim: "ignored", Op: OpPermission, Values: []any{"blog:write"}})
	if got := evaluate(t, p, identity(t, `{"realm_access":{"roles":["editor"]},"roles":["viewer"]}`)); got != "" {
		t.Errorf("nested roles claim: got %s; want a pass", got)
	}
	want := denied("can-write", `{"message":"value does not exist","expectedPermission":"blog:write"}`)
	if got := evaluate(t, p, identity(t, `{"roles":["editor"]}`)); got != want {
		t.Errorf("top-level roles only:\n got %s\nwant %s", got, want)
	}
}

func TestCompileRolesRefusesBadWildcards(t *testing.T) {
	tests := []struct {
		name  string
		perms []string
	}{
		{"a star glued to a word", []string{"blog*"}},
		{"a star in the middle", []string{"blog:*:read"}},
		{"a leading star segment", []string{"*:read"}},
		{"two stars", []string{"blog:**"}},
		{"an empty permission", []string{""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(nil, Options{Roles: map[string][]string{"r": tc.perms}})
			wantErrorIs(t, err, ErrInvalidSpec)
		})
	}
	_, err := Compile(nil, Options{Roles: map[string][]string{"": {"a"}}})
	wantErrorIs(t, err, ErrInvalidSpec)
}
