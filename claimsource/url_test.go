package claimsource

import (
	"errors"
	"strings"
	"testing"

	"github.com/authgate/authgate/verifier"
)

func TestParseURLTemplateRefusesUnsafeTemplates(t *testing.T) {
	tests := []struct {
		name string
		tpl  string
	}{
		{"a placeholder in the host", "https://{sub}.users.internal/roles"},
		{"a placeholder right after the host", "https://users.internal{sub}/roles"},
		{"a placeholder in the scheme", "{claims.scheme}://users.internal/{sub}"},
		{"a relative URL", "/v1/users/{sub}"},
		{"a scheme other than http", "ftp://users.internal/{sub}"},
		{"a fragment", "https://users.internal/{sub}#roles"},
		{"an unknown placeholder", "https://users.internal/{user}"},
		{"a Caddy placeholder left over", "https://users.internal/{http.request.host}/{sub}"},
		{"an unclosed placeholder", "https://users.internal/{sub"},
		{"a dot segment in the literal path", "https://users.internal/v1/../admin/{sub}"},
		{"an encoded dot segment", "https://users.internal/v1/%2e%2e/{sub}"},
		{"a space", "https://users.internal/v1 /{sub}"},
		{"an empty claim path", "https://users.internal/{claims.}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseURLTemplate(tc.tpl); err == nil {
				t.Fatalf("ParseURLTemplate(%q) accepted it", tc.tpl)
			}
		})
	}
}

func TestURLTemplateEscapesEachValueForItsPosition(t *testing.T) {
	const path = "https://users.internal/v1/users/{sub}/roles"
	const query = "https://users.internal/v1/roles?user={sub}&org={claims.org.id}"
	tests := []struct {
		name    string
		tpl     string
		sub     string
		claims  string
		want    string // "" when ErrUnsafeURL is wanted
		wantErr bool
	}{
		{"a plain subject", path, "alice", `{}`, "https://users.internal/v1/users/alice/roles", false},
		{"a slash stays inside the segment", path, "../../admin", `{}`, "https://users.internal/v1/users/..%2F..%2Fadmin/roles", false},
		{"a question mark cannot start a query", path, "a?admin=1", `{}`, "https://users.internal/v1/users/a%3Fadmin=1/roles", false},
		{"a hash cannot start a fragment", path, "a#x", `{}`, "https://users.internal/v1/users/a%23x/roles", false},
		{"a percent cannot smuggle an escape", path, "%2e%2e", `{}`, "https://users.internal/v1/users/%252e%252e/roles", false},
		{"a backslash is escaped", path, `a\b`, `{}`, "https://users.internal/v1/users/a%5Cb/roles", false},
		{"CR and LF are escaped", path, "a\r\nHost: x", `{}`, "https://users.internal/v1/users/a%0D%0AHost:%20x/roles", false},
		{"a dot-dot subject is refused", path, "..", `{}`, "", true},
		{"a dot subject is refused", path, ".", `{}`, "", true},
		{"an empty subject is refused", path, "", `{}`, "", true},
		{"query values are query-escaped", query, "a&admin=1", `{"org":{"id":"x y#z"}}`,
			"https://users.internal/v1/roles?user=a%26admin%3D1&org=x+y%23z", false},
		{"numbers and booleans have their JSON form", query, "1", `{"org":{"id":42}}`,
			"https://users.internal/v1/roles?user=1&org=42", false},
		{"a SuperTokens value is unwrapped", query, "1", `{"org":{"id":{"v":"acme","t":1}}}`,
			"https://users.internal/v1/roles?user=1&org=acme", false},
		{"an empty query value is allowed", query, "", `{"org":{"id":""}}`,
			"https://users.internal/v1/roles?user=&org=", false},
		{"a missing claim is refused", query, "alice", `{}`, "", true},
		{"an array claim is refused", query, "alice", `{"org":{"id":["a","b"]}}`, "", true},
		{"a null claim is refused", query, "alice", `{"org":{"id":null}}`, "", true},
		{"a placeholder inside a segment may be dots", "https://users.internal/v1/u-{sub}", "..", `{}`,
			"https://users.internal/v1/u-..", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tpl, err := ParseURLTemplate(tc.tpl)
			if err != nil {
				t.Fatal(err)
			}
			id := &verifier.Identity{Subject: tc.sub, Claims: claimsJSON(t, tc.claims)}
			got, err := tpl.Build(id)
			if tc.wantErr {
				if !errors.Is(err, ErrUnsafeURL) {
					t.Fatalf("Build = %q, %v; want ErrUnsafeURL", got, err)
				}
				if tc.sub != "" && strings.Contains(err.Error(), tc.sub) {
					t.Errorf("error %q reveals the subject", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Build = %q, %v\nwant %q", got, err, tc.want)
			}
		})
	}
}

func TestURLTemplateSessionAndSubjectOnly(t *testing.T) {
	tests := []struct {
		tpl         string
		session     string
		want        string
		subjectOnly bool
	}{
		{"https://u.internal/s/{session.id}", "s-1", "https://u.internal/s/s-1", false},
		{"https://u.internal/s/{session.id}", "", "", false},
		{"https://u.internal/s?id={session.id}", "", "https://u.internal/s?id=", false},
		{"https://u.internal/users/{sub}", "", "https://u.internal/users/alice", true},
		{"https://u.internal/everyone", "", "https://u.internal/everyone", true},
	}
	for _, tc := range tests {
		t.Run(tc.tpl, func(t *testing.T) {
			tpl, err := ParseURLTemplate(tc.tpl)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := tpl.Build(&verifier.Identity{Subject: "alice", SessionID: tc.session})
			if got != tc.want || tpl.SubjectOnly() != tc.subjectOnly {
				t.Errorf("Build = %q, SubjectOnly = %v; want %q, %v", got, tpl.SubjectOnly(), tc.want, tc.subjectOnly)
			}
		})
	}
}

// FuzzURLTemplate checks that no subject can move a built URL off its
// configured origin and prefix, or into a dot segment.
func FuzzURLTemplate(f *testing.F) {
	for _, s := range []string{"alice", "..", "a/../b", "%2e%2e", "a?b#c", "\x00", "é", "//evil.example"} {
		f.Add(s)
	}
	tpl, err := ParseURLTemplate("https://users.internal/v1/users/{sub}/roles?as={sub}")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sub string) {
		got, err := tpl.Build(&verifier.Identity{Subject: sub})
		if err != nil {
			return
		}
		if !strings.HasPrefix(got, "https://users.internal/v1/users/") ||
			strings.Count(got, "/") != 6 || strings.Contains(got, "#") || strings.Count(got, "?") != 1 {
			t.Fatalf("subject %q built %q", sub, got)
		}
	})
}
