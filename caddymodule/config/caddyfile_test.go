package config

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func TestParseRequireReadsValuesAsJSONUnlessQuoted(t *testing.T) {
	cases := []struct {
		name, line string
		want       string // RequireConfig as JSON
		wantErr    string
	}{
		{"an unquoted number is a number", `require level has_value 3`, `{"claim":"level","op":"has_value","values":[3]}`, ""},
		{"a quoted number is a string", `require level has_value "3"`, `{"claim":"level","op":"has_value","values":["3"]}`, ""},
		{"true is a boolean", `require flag has_value true`, `{"claim":"flag","op":"has_value","values":[true]}`, ""},
		{"a bare word is a string", `require roles includes admin`, `{"claim":"roles","op":"includes","values":["admin"]}`, ""},
		{"a JSON array stays an array", `require tags has_value ["a","b"]`, `{"claim":"tags","op":"has_value","values":[["a","b"]]}`, ""},
		{"max_age and id come off the end", `require roles includes admin max_age 1m id admins`, `{"id":"admins","claim":"roles","op":"includes","values":["admin"],"max_age":60000000000}`, ""},
		{"max_age 0 is kept", `require roles exists max_age 0`, `{"claim":"roles","op":"exists","max_age":0}`, ""},
		{"a quoted max_age is a value", `require word one_of "max_age" "id"`, `{"claim":"word","op":"one_of","values":["max_age","id"]}`, ""},
		{"permission takes one value", `require permission blog:write`, `{"op":"permission","values":["blog:write"]}`, ""},
		{"a claim named permission still works", `require permission has_value x`, `{"claim":"permission","op":"has_value","values":["x"]}`, ""},
		{"namespaced claim names keep their dots", `require "https://example.com/session.roles" includes admin`, `{"claim":"https://example.com/session.roles","op":"includes","values":["admin"]}`, ""},
		{"unknown operators are refused", `require roles contains admin`, ``, `unknown validator "contains"`},
		{"is_true takes no value", `require ok is_true yes`, ``, "wrong number of values"},
		{"includes_all needs a value", `require tags includes_all`, ``, "wrong number of values"},
		{"a negative max_age is refused", `require x exists max_age -1s`, ``, "bad max_age"},
		{"max_age twice is refused", `require x exists max_age 1s max_age 2s`, ``, "max_age given twice"},
		{"a bare claim is refused", `require roles`, ``, "wrong argument count"},
		{"ends_with reads its operand as a string", `require email ends_with @corp.example`,
			`{"claim":"email","op":"ends_with","values":["@corp.example"]}`, ""},
		{"starts_with never reads JSON", `require level starts_with 3`, `{"claim":"level","op":"starts_with","values":["3"]}`, ""},
		{"a quoted pattern keeps its backslashes", `require sub matches "^svc\.[a-z]{2,8}$" id svc`,
			`{"id":"svc","claim":"sub","op":"matches","values":["^svc\\.[a-z]{2,8}$"]}`, ""},
		{"in_domain keeps the domain as written", `require email in_domain Corp.Example`,
			`{"claim":"email","op":"in_domain","values":["Corp.Example"]}`, ""},
		{"in_domain takes subdomains", `require email in_domain corp.example subdomains max_age 1m`,
			`{"claim":"email","op":"in_domain","values":["corp.example"],"max_age":60000000000,"subdomains":true}`, ""},
		{"a quoted subdomains is a second domain", `require email in_domain corp.example "subdomains"`, ``, "wrong number of values"},
		{"subdomains belongs to in_domain only", `require email ends_with corp.example subdomains`, ``, "wrong number of values"},
		{"in_domain takes one domain", `require email in_domain a.example b.example`, ``, "wrong number of values"},
		{"a bad pattern is refused", `require sub matches "(?=x)"`, ``, "invalid or unsupported Perl syntax"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := caddyfile.NewTestDispenser(tc.line)
			d.Next()
			rc, err := parseRequire(d)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(rc)
			if string(got) != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestHandlerCaddyfileRejectsMistakes(t *testing.T) {
	cases := []struct{ name, input, wantErr string }{
		{"an argument after the directive", `authgate extra`, "wrong argument count"},
		{"an unknown subdirective", "authgate {\n bogus\n}", `unrecognized authgate subdirective "bogus"`},
		{"on_failure without redirect", "authgate {\n on_failure roles /x\n}", "expected: on_failure <id> redirect <path>"},
		{"login_url twice", "authgate {\n login_url /a\n login_url /b\n}", "login_url given twice"},
		{"a flag with an argument", "authgate {\n optional yes\n}", "wrong argument count"},
		{"endpoints with a bad word", "authgate {\n endpoints maybe\n}", "expected: endpoints on|off"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := new(Handler).UnmarshalCaddyfile(caddyfile.NewTestDispenser(tc.input))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestGlobalCaddyfileRejectsMistakes(t *testing.T) {
	cases := []struct{ name, input, wantErr string }{
		{"an unknown option", "authgate {\n bogus\n}", `unrecognized authgate option "bogus"`},
		{"a role without permissions", "authgate {\n role admin\n}", "wrong argument count"},
		{"a role twice", "authgate {\n role a x\n role a y\n}", `role "a" defined twice`},
		{"a jwt without a name", "authgate {\n jwt {\n }\n}", "wrong argument count"},
		{"a header with one argument", "authgate {\n header X-A\n}", "wrong argument count"},
		{"a header with a bad flag", "authgate {\n header X-A {sub} yaml\n}", "wrong argument count"},
		{"a size that is not a number", "authgate {\n max_token_size big\n}", "expected a positive integer"},
		{"a bad jwt duration", "authgate {\n jwt a {\n  leeway soon\n }\n}", `bad duration "soon"`},
		{"dev with an argument", "authgate {\n dev yes\n}", "wrong argument count"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := new(App).UnmarshalCaddyfile(caddyfile.NewTestDispenser(tc.input))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
