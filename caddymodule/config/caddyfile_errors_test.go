package config

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// parseGlobal parses input as the global authgate block of a file named
// Caddyfile, so that errors carry positions as `caddy adapt` shows them.
func parseGlobal(t *testing.T, input string) (*App, error) {
	t.Helper()
	tokens, err := caddyfile.Tokenize([]byte(input), "Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	a := new(App)
	return a, a.UnmarshalCaddyfile(caddyfile.NewDispenser(tokens))
}

const goodJWT = "  issuer https://idp.example/\n  audience app\n  jwks_url https://idp.example/jwks\n"

// Mistakes that used to be found only when the app was provisioned (with
// no position) are refused while parsing, with the file and line and what
// exactly is wrong.
func TestGlobalCaddyfileErrorsNameTheLineAndTheMistake(t *testing.T) {
	cases := []struct{ name, input, at, want string }{
		{"a jwt block without issuer", "authgate {\n jwt corp {\n  audience app\n  jwks_url https://idp.example/jwks\n }\n}",
			"Caddyfile:2", "jwt corp: issuer is required"},
		{"a jwt block without audience", "authgate {\n jwt corp {\n  issuer https://idp.example/\n  key_file k.pem\n }\n}",
			"Caddyfile:2", "jwt corp: audience is required (audience <aud…>, or audience any"},
		{"a jwt block without keys", "authgate {\n jwt corp {\n  issuer https://idp.example/\n  audience any\n }\n}",
			"Caddyfile:2", "exactly one of jwks_url, key_file or secret_file is required; none is given"},
		{"a jwt block with two key sources", "authgate {\n\n jwt corp {\n" + goodJWT + "  key_file k.pem\n }\n}",
			"Caddyfile:3", "jwks_url and key_file are given"},
		{"two jwt blocks with one name", "authgate {\n jwt corp {\n" + goodJWT + " }\n jwt corp {\n" + goodJWT + " }\n}",
			"Caddyfile:7", `verifier name "corp" is used twice (jwt block first, at Caddyfile:2)`},
		{"an introspect block named like a jwt block", "authgate {\n jwt corp {\n" + goodJWT + " }\n introspect corp {\n  url https://a.example/\n  from cookie s\n }\n}",
			"Caddyfile:7", `verifier name "corp" is used twice (jwt block first, at Caddyfile:2)`},
		{"a jwt block named dev in dev mode", "authgate {\n dev\n jwt dev {\n" + goodJWT + " }\n}",
			"Caddyfile:3", `verifier name "dev" is used twice (dev block first, at Caddyfile:2)`},
		{"an introspect block without url", "authgate {\n introspect s {\n  from cookie s\n }\n}",
			"Caddyfile:2", "introspect s: url is required"},
		{"an oidc block without client_id", "authgate {\n oidc corp {\n  issuer https://idp.example/\n  callback_url https://app.example/cb\n }\n}",
			"Caddyfile:2", "oidc corp: issuer, client_id and callback_url are required; missing: client_id"},
		{"an oidc block without issuer and callback_url", "authgate {\n oidc corp {\n  client_id app\n }\n}",
			"Caddyfile:2", "missing: issuer, callback_url"},
		{"an unknown validator", "authgate {\n\n require roles contains admin\n}",
			"Caddyfile:3", `unknown validator "contains": want one of ends_with, excludes, excludes_all, exists, has_value, in_domain, includes, includes_all, is_false, is_true, matches, one_of, starts_with, or require permission <P>`},
		{"a pattern that does not parse", "authgate {\n\n\n require sub matches \"svc-(a\"\n}",
			"Caddyfile:4", "validator matches: parsing pattern: error parsing regexp: missing closing ): `svc-(a`: bad pattern"},
		{"a pattern that would escape its anchors", "authgate {\n require sub matches `a)|(b`\n}",
			"Caddyfile:2", "validator matches: parsing pattern: error parsing regexp: unexpected )"},
		{"a pattern over the size limit", "authgate {\n require sub matches [a-z]{1,1000}b{1,1000}\n}",
			"Caddyfile:2", "validator matches: pattern compiles to 4000 instructions, more than 2000"},
		{"a domain written as an address part", "authgate {\n require email in_domain @corp.example\n}",
			"Caddyfile:2", `validator in_domain: bad domain name: write the domain without "@" ("corp.example")`},
		{"a wildcard domain", "authgate {\n require email in_domain *.corp.example\n}",
			"Caddyfile:2", `validator in_domain: bad domain name: write "corp.example" with the word subdomains`},
		{"a domain with a trailing dot", "authgate {\n require email in_domain corp.example.\n}",
			"Caddyfile:2", "validator in_domain: bad domain name: empty label"},
		{"an empty prefix", "authgate {\n require sub starts_with \"\"\n}",
			"Caddyfile:2", "validator starts_with: needs a non-empty value"},
		{"a duration without unit", "authgate {\n jwt corp {\n" + goodJWT + "  leeway 30\n }\n}",
			"Caddyfile:6", `bad duration "30": want a number with a unit: ns, us, ms, s, m, h or d`},
		{"a size with a bad unit", "authgate {\n cache_size 64XB\n}",
			"Caddyfile:2", `expected a positive integer or a size such as 64KiB or 1MB, got "64XB"`},
		{"a zero size", "authgate {\n max_token_size 0\n}",
			"Caddyfile:2", `expected a positive integer or a size`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseGlobal(t, tc.input)
			if err == nil {
				t.Fatal("parsed without error")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), ", at "+tc.at) {
				t.Fatalf("error %q\nwant it to contain %q and %q", err, tc.want, ", at "+tc.at)
			}
		})
	}
}

// Byte sizes take units the way Caddy's own directives do; plain numbers
// of bytes keep working.
func TestGlobalCaddyfileSizesTakeUnits(t *testing.T) {
	cases := []struct {
		input          string
		cache, maxTok  int64
		introspectBody int64
	}{
		{"cache_size 64MiB\n max_token_size 16KiB", 64 << 20, 16 << 10, 0},
		{"cache_size 1MB\n max_token_size 8192", 1_000_000, 8192, 0},
		{"cache_size 1048576\n introspect s {\n  url https://a.example/\n  from cookie s\n  max_body_size 2MiB\n }", 1 << 20, 0, 2 << 20},
	}
	for _, tc := range cases {
		a, err := parseGlobal(t, "authgate {\n "+tc.input+"\n}")
		if err != nil {
			t.Fatalf("%q: %v", tc.input, err)
		}
		if a.CacheBytes != tc.cache || int64(a.MaxTokenBytes) != tc.maxTok {
			t.Errorf("%q: cache_size %d, max_token_size %d; want %d, %d", tc.input, a.CacheBytes, a.MaxTokenBytes, tc.cache, tc.maxTok)
		}
		if tc.introspectBody != 0 && a.Introspect[0].MaxBodyBytes != tc.introspectBody {
			t.Errorf("%q: max_body_size %d, want %d", tc.input, a.Introspect[0].MaxBodyBytes, tc.introspectBody)
		}
	}
}
