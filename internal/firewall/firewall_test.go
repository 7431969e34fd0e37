package firewall

import "testing"

func TestRejectedNamesTheFirstBrokenRule(t *testing.T) {
	all := Rules(pathRules)
	cases := []struct {
		name  string
		rules Rules
		paths []string
		want  string
	}{
		{"a clean path passes", all, []string{"/admin/x"}, ""},
		{"no rules pass everything", nil, []string{"/a%2Fb"}, ""},
		{"an encoded slash", all, []string{"/admin%2fx"}, RuleEncodedSlash},
		{"a double-encoded slash", all, []string{"/admin%252Fx"}, RuleEncodedSlash},
		{"an overlong slash", all, []string{"/admin\xc0\xafx"}, RuleEncodedSlash},
		{"a raw backslash", all, []string{`/admin\x`}, RuleBackslash},
		{"an encoded backslash is not a raw one", Rules{RuleBackslash}, []string{"/admin%5Cx"}, ""},
		{"a trailing dot", all, []string{"/admin./x"}, RuleTrailingDotSpace},
		{"a path parameter", all, []string{"/admin;jsessionid=1"}, RuleSemicolon},
		{"the rewritten path is checked too", all, []string{"/ok", "/a%00"}, RuleEncodedNUL},
		{"a disabled rule does not refuse", Rules{RuleSemicolon}, []string{"/a%2Fb"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.rules.Rejected(tc.paths...); got != tc.want {
				t.Fatalf("Rejected(%q) = %q, want %q", tc.paths, got, tc.want)
			}
		})
	}
}

func TestRawPathKeepsTheTargetAsSent(t *testing.T) {
	cases := []struct{ target, fallback, want string }{
		{`/admin\x?q=1`, "/x", `/admin\x`},
		{`http://host/admin\x`, "/x", `/admin\x`},
		{"http://host", "/x", "/"},
		{"*", "*", "*"},
	}
	for _, tc := range cases {
		if got := RawPath(tc.target, tc.fallback); got != tc.want {
			t.Errorf("RawPath(%q) = %q, want %q", tc.target, got, tc.want)
		}
	}
}

func TestCheckRefusesUnknownAndRepeatedRules(t *testing.T) {
	if err := Check([]string{"semicolon", "backslash"}); err != nil {
		t.Fatalf("Check: %v", err)
	}
	for _, rules := range [][]string{{"nope"}, {"semicolon", "semicolon"}} {
		if err := Check(rules); err == nil {
			t.Errorf("Check(%q) succeeded, want an error", rules)
		}
	}
}
