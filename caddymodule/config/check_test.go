package config

import (
	"encoding/json"
	"strings"
	"testing"
)

const introspectS = " introspect s {\n  url https://s.example/introspect\n }\n"

// A recheck that names no introspect block is refused while parsing, at
// the recheck line, wherever the introspect blocks are declared (before or
// after the jwt block).
func TestRecheckIsCheckedWhileParsing(t *testing.T) {
	cases := []struct{ name, input, at, want string }{
		{"an unknown name", "authgate {\n" + introspectS + " jwt corp {\n" + goodJWT + "  recheck nope\n }\n}",
			"Caddyfile:9", `jwt corp: recheck names "nope", which is no introspect block (introspect blocks: s)`},
		{"no introspect block at all", "authgate {\n jwt corp {\n" + goodJWT + "\n  recheck nope\n }\n}",
			"Caddyfile:7", `recheck names "nope", which is no introspect block (no introspect block is declared)`},
		{"a jwt block", "authgate {\n jwt corp {\n" + goodJWT + "  recheck other\n }\n jwt other {\n" + goodJWT + "  from cookie o\n }\n" + introspectS + "}",
			"Caddyfile:6", `jwt corp: recheck names "other", a jwt verifier: recheck takes an introspect block (introspect blocks: s)`},
		{"dev", "authgate {\n dev\n jwt corp {\n" + goodJWT + "  recheck dev\n }\n}",
			"Caddyfile:7", `recheck names "dev", a jwt verifier`},
		{"recheck_expired without recheck", "authgate {\n jwt corp {\n" + goodJWT + "  recheck_expired\n }\n}",
			"Caddyfile:2", "jwt corp: recheck_expired needs recheck"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseGlobal(t, tc.input)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), ", at "+tc.at) {
				t.Fatalf("error %v\nwant it to contain %q and %q", err, tc.want, ", at "+tc.at)
			}
		})
	}
	for name, input := range map[string]string{
		"introspect block declared after": "authgate {\n jwt corp {\n" + goodJWT + "  recheck s\n  recheck_expired\n }\n" + introspectS + "}",
		"introspect block declared first": "authgate {\n" + introspectS + " jwt corp {\n" + goodJWT + "  recheck s\n }\n}",
	} {
		if a, err := parseGlobal(t, input); err != nil || a.JWT[0].Recheck != "s" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A JSON configuration is held to the same rules when the app is
// provisioned, and the error names the JSON path of the field at fault.
func TestCheckBlocksNamesTheJSONPath(t *testing.T) {
	const good = `{"name":"a","issuer":"https://a/","audience":["any"],"jwks_url":"https://a/jwks"}`
	cases := []struct{ name, config, want string }{
		{"a jwt block without issuer", `{"jwt":[` + good + `,{"name":"b","audience":["x"],"key_files":["k.pem"]}]}`,
			"apps.authgate.jwt[1].issuer: required (the iss its tokens carry)"},
		{"a jwt block without audience", `{"jwt":[{"name":"b","issuer":"https://b/","secret_file":"s"}]}`,
			"apps.authgate.jwt[0].audience: required"},
		{"a jwt block with two key sources", `{"jwt":[{"name":"b","issuer":"https://b/","audience":["x"],"secret_file":"s","jwks_url":"https://b/jwks"}]}`,
			"apps.authgate.jwt[0]: exactly one of jwks_url, key_file or secret_file is required; jwks_url and secret_file are given"},
		{"a jwt block without name", `{"jwt":[` + good + `,{"issuer":"https://b/","audience":["x"],"secret_file":"s"}]}`,
			"apps.authgate.jwt[1].name: required"},
		{"a name used twice", `{"jwt":[` + good + `],"introspect":[{"name":"a","url":"https://a/i"}]}`,
			`apps.authgate.introspect[0].name: "a" is used twice (first by jwt[0])`},
		{"a jwt block named dev in dev mode", `{"dev":true,"jwt":[{"name":"dev","issuer":"https://b/","audience":["x"],"secret_file":"s"}]}`,
			`apps.authgate.jwt[0].name: "dev" is used twice (first by dev)`},
		{"an unknown recheck", `{"jwt":[{"name":"a","issuer":"https://a/","audience":["any"],"jwks_url":"https://a/jwks","recheck":"nope"}]}`,
			`apps.authgate.jwt[0].recheck: names "nope", which is no introspect block`},
		{"recheck_expired without recheck", `{"jwt":[{"name":"a","issuer":"https://a/","audience":["any"],"jwks_url":"https://a/jwks","recheck_expired":true}]}`,
			"apps.authgate.jwt[0].recheck_expired: needs recheck"},
		{"an introspect block without url", `{"introspect":[{"name":"s"}]}`,
			"apps.authgate.introspect[0].url: required"},
		{"an oidc block without client_id", `{"oidc":[{"name":"corp","issuer":"https://i/","callback_urls":["https://app/cb"]}]}`,
			"apps.authgate.oidc[0].client_id: required (oidc corp: missing client_id)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var a App
			if err := json.Unmarshal([]byte(tc.config), &a); err != nil {
				t.Fatal(err)
			}
			if err := a.CheckBlocks(); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error %v\nwant it to start with %q", err, tc.want)
			}
		})
	}
	var a App
	ok := `{"dev":true,"jwt":[` + good + `,{"name":"b","issuer":"https://b/","audience":["x"],"secret_file":"s","recheck":"s","recheck_expired":true}],"introspect":[{"name":"s","url":"https://s/i"}]}`
	if err := json.Unmarshal([]byte(ok), &a); err != nil {
		t.Fatal(err)
	}
	if err := a.CheckBlocks(); err != nil {
		t.Fatalf("a valid configuration: %v", err)
	}
}
