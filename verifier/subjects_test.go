package verifier

import (
	"strings"
	"testing"
)

func TestCheckSubjects(t *testing.T) {
	jwt := func(name, tpl, iss string, same ...string) SubjectOwner {
		return SubjectOwner{Kind: "jwt", Name: name, Template: tpl, Issuer: iss, Same: same}
	}
	dev := SubjectOwner{Kind: "dev", Name: "dev", Issuer: "authgate-dev", Dev: true}
	for _, tc := range []struct {
		name   string
		owners []SubjectOwner
		want   string // "" = accepted; else a substring of the error
	}{
		{"one owner", []SubjectOwner{jwt("a", "", "x")}, ""},
		{"bare subs collide", []SubjectOwner{jwt("a", "", "x"), jwt("b", "", "y")},
			"jwt b: subject_template {sub} can yield the same subjects as jwt a with subject_template {sub}"},
		{"qualified", []SubjectOwner{jwt("a", "a:{sub}", "x"), jwt("b", "b:{sub}", "y")}, ""},
		{"nested prefixes collide", []SubjectOwner{jwt("a", "a:{sub}", "x"), jwt("b", "a:b:{sub}", "y")}, "qualify them"},
		{"same issuer", []SubjectOwner{jwt("a", "", "x"), jwt("b", "", "x")}, ""},
		{"same_subjects both ways", []SubjectOwner{jwt("a", "", "x", "b"), jwt("b", "", "y", "a")}, ""},
		{"same_subjects one way", []SubjectOwner{jwt("a", "", "x", "b"), jwt("b", "", "y")},
			"jwt a: same_subjects names jwt b, which must name a back"},
		{"same_subjects itself", []SubjectOwner{jwt("a", "", "x", "a")}, "jwt a: same_subjects names itself"},
		{"same_subjects unknown", []SubjectOwner{jwt("a", "", "x", "zz")}, `"zz" is not a jwt, oidc or introspect block`},
		{"dev collides", []SubjectOwner{dev, jwt("a", "", "x")}, "name dev in same_subjects of jwt a"},
		{"dev named", []SubjectOwner{dev, jwt("a", "", "x", "dev")}, ""},
		{"recheck-only owns nothing", []SubjectOwner{jwt("a", "", "x"), {Kind: "introspect", Name: "r", RecheckOnly: true}}, ""},
		{"recheck-only same_subjects", []SubjectOwner{{Kind: "introspect", Name: "r", RecheckOnly: true, Same: []string{"a"}}},
			"introspect r: same_subjects on a block used only through recheck"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckSubjects(tc.owners)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCheckSubjectsPositions(t *testing.T) {
	owners := []SubjectOwner{
		{Kind: "jwt", Name: "a", Issuer: "x", Pos: "Caddyfile:3"},
		{Kind: "jwt", Name: "b", Issuer: "y", Pos: "Caddyfile:9"},
	}
	err := CheckSubjects(owners)
	if err == nil || !strings.HasPrefix(err.Error(), "Caddyfile:9: jwt b: ") || !strings.Contains(err.Error(), "jwt a (Caddyfile:3)") {
		t.Fatalf("error %v, want both positions", err)
	}
}
