package policy

import (
	"strings"
	"testing"
)

// stringsDoc holds the claims the string validators are tried on.
const stringsDoc = `{
	"sub": "svc-billing", "subUpper": "SVC-billing", "subPath": "svc-a/../admin",
	"subLines": "x\nsvc-a", "num": 1, "bool": true, "null": null,
	"arr": ["svc-billing"], "obj": {"v": "svc-billing", "t": 1},
	"email": "alice@corp.example", "emailUpper": "alice@CORP.EXAMPLE",
	"emailEvil": "mallory@evilcorp.example", "emailSub": "bob@eu.corp.example",
	"emailTwoAt": "a@b@corp.example", "emailNoLocal": "@corp.example",
	"emailDot": "alice@corp.example.", "emailEmptyLabel": "alice@corp..example",
	"emailIDN": "jörg@Bücher.example", "emailPunycode": "jorg@xn--bcher-kva.example",
	"emailFullwidth": "alice@ｃｏｒｐ.example", "emailIdeographicDot": "alice@corp。example。",
	"emailNoAt": "corp.example", "emailArr": ["alice@corp.example"]
}`

// runStringCases is runValidatorCases on stringsDoc.
func runStringCases(t *testing.T, tests []validatorCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustCompile(t, Options{}, tc.spec)
			got := evaluate(t, p, identity(t, stringsDoc))
			want := ""
			if tc.want != "" {
				want = denied(p.IDs()[0], tc.want)
			}
			if got != want {
				t.Errorf("body\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestStartsWithAndEndsWith(t *testing.T) {
	runStringCases(t, []validatorCase{
		{"a string with the prefix passes", spec("sub", OpStartsWith, "svc-"), ""},
		{"the whole value is its own prefix", spec("sub", OpStartsWith, "svc-billing"), ""},
		{"starts_with is case-sensitive", spec("subUpper", OpStartsWith, "svc-"),
			`{"message":"wrong value","expectedToStartWith":"svc-","actualValue":"SVC-billing"}`},
		{"an array holding a passing string fails", spec("arr", OpStartsWith, "svc-"),
			`{"message":"wrong value","expectedToStartWith":"svc-","actualValue":["svc-billing"]}`},
		{"a number fails", spec("num", OpStartsWith, "1"),
			`{"message":"wrong value","expectedToStartWith":"1","actualValue":1}`},
		{"null fails", spec("null", OpStartsWith, "n"),
			`{"message":"wrong value","expectedToStartWith":"n","actualValue":null}`},
		{"a {v,t} value is unwrapped first", spec("obj", OpStartsWith, "svc-"), ""},
		{"a missing claim does not exist", spec("missing", OpStartsWith, "svc-"),
			`{"message":"value does not exist","expectedToStartWith":"svc-"}`},
		{"a string with the suffix passes", spec("email", OpEndsWith, "@corp.example"), ""},
		{"ends_with corp.example also passes evilcorp.example", spec("emailEvil", OpEndsWith, "corp.example"), ""},
		{"ends_with @corp.example refuses evilcorp.example", spec("emailEvil", OpEndsWith, "@corp.example"),
			`{"message":"wrong value","expectedToEndWith":"@corp.example","actualValue":"mallory@evilcorp.example"}`},
		{"ends_with is case-sensitive", spec("emailUpper", OpEndsWith, "@corp.example"),
			`{"message":"wrong value","expectedToEndWith":"@corp.example","actualValue":"alice@CORP.EXAMPLE"}`},
		{"ends_with on a boolean fails", spec("bool", OpEndsWith, "e"),
			`{"message":"wrong value","expectedToEndWith":"e","actualValue":true}`},
	})
}

func TestMatchesIsAnchored(t *testing.T) {
	runStringCases(t, []validatorCase{
		{"a whole match passes", spec("sub", OpMatches, "^svc-[a-z]+$"), ""},
		{"a pattern without anchors must match the whole value", spec("sub", OpMatches, "svc-[a-z]+"), ""},
		{"a partial match fails", spec("subPath", OpMatches, "svc-[a-z]+"),
			`{"message":"wrong value","expectedToMatch":"svc-[a-z]+","actualValue":"svc-a/../admin"}`},
		{"an alternation is anchored as a whole", spec("subPath", OpMatches, "svc-a|zzz"),
			`{"message":"wrong value","expectedToMatch":"svc-a|zzz","actualValue":"svc-a/../admin"}`},
		{"a shorter alternative does not hide a whole match", spec("sub", OpMatches, "svc|svc-billing"), ""},
		{"(?m) cannot pass one line of a value", spec("subLines", OpMatches, "(?m)^svc-a$"),
			`{"message":"wrong value","expectedToMatch":"(?m)^svc-a$","actualValue":"x\nsvc-a"}`},
		{"(?i) makes a pattern case-insensitive", spec("subUpper", OpMatches, "(?i)svc-[a-z]+"), ""},
		{"matches on an array fails", spec("arr", OpMatches, ".*"),
			`{"message":"wrong value","expectedToMatch":".*","actualValue":["svc-billing"]}`},
		{"matches on an object fails", spec("num", OpMatches, ".*"),
			`{"message":"wrong value","expectedToMatch":".*","actualValue":1}`},
		{"a missing claim does not exist", spec("missing", OpMatches, ".*"),
			`{"message":"value does not exist","expectedToMatch":".*"}`},
	})
}

func TestInDomain(t *testing.T) {
	sub := func(claim, domain string) Spec {
		return Spec{Claim: claim, Op: OpInDomain, Values: []any{domain}, Subdomains: true}
	}
	wrong := func(domain, actual string) string {
		return `{"message":"wrong value","expectedDomain":"` + domain + `","actualValue":` + actual + `}`
	}
	runStringCases(t, []validatorCase{
		{"an address in the domain passes", spec("email", OpInDomain, "corp.example"), ""},
		{"the domain is compared in lower case", spec("emailUpper", OpInDomain, "corp.example"), ""},
		{"the configured domain is lower-cased too", spec("email", OpInDomain, "Corp.Example"), ""},
		{"evilcorp.example is not corp.example", spec("emailEvil", OpInDomain, "corp.example"),
			wrong("corp.example", `"mallory@evilcorp.example"`)},
		{"evilcorp.example is not a subdomain either", sub("emailEvil", "corp.example"),
			wrong("corp.example", `"mallory@evilcorp.example"`)},
		{"a subdomain fails without subdomains", spec("emailSub", OpInDomain, "corp.example"),
			wrong("corp.example", `"bob@eu.corp.example"`)},
		{"a subdomain passes with subdomains", sub("emailSub", "corp.example"), ""},
		{"the domain itself passes with subdomains", sub("email", "corp.example"), ""},
		{"two @ fail", spec("emailTwoAt", OpInDomain, "corp.example"),
			wrong("corp.example", `"a@b@corp.example"`)},
		{"an empty local part fails", spec("emailNoLocal", OpInDomain, "corp.example"),
			wrong("corp.example", `"@corp.example"`)},
		{"no @ fails", spec("emailNoAt", OpInDomain, "corp.example"),
			wrong("corp.example", `"corp.example"`)},
		{"a trailing dot fails", spec("emailDot", OpInDomain, "corp.example"),
			wrong("corp.example", `"alice@corp.example."`)},
		{"an empty label fails", spec("emailEmptyLabel", OpInDomain, "corp.example"),
			wrong("corp.example", `"alice@corp..example"`)},
		{"a trailing ideographic full stop fails", spec("emailIdeographicDot", OpInDomain, "corp.example"),
			wrong("corp.example", `"alice@corp。example。"`)},
		{"a unicode domain matches its configured unicode form", spec("emailIDN", OpInDomain, "bücher.example"), ""},
		{"a unicode domain matches its configured A-label", spec("emailIDN", OpInDomain, "xn--bcher-kva.example"), ""},
		{"an A-label address matches the unicode form", spec("emailPunycode", OpInDomain, "BÜCHER.example"), ""},
		{"the reason shows the domain as compared", spec("email", OpInDomain, "bücher.example"),
			wrong("xn--bcher-kva.example", `"alice@corp.example"`)},
		{"full-width letters map to ASCII as in DNS lookups", spec("emailFullwidth", OpInDomain, "corp.example"), ""},
		{"an array of addresses fails", spec("emailArr", OpInDomain, "corp.example"),
			wrong("corp.example", `["alice@corp.example"]`)},
		{"a number fails", spec("num", OpInDomain, "corp.example"), wrong("corp.example", `1`)},
		{"a missing claim does not exist", spec("missing", OpInDomain, "corp.example"),
			`{"message":"value does not exist","expectedDomain":"corp.example"}`},
	})
}

func TestCompileRefusesBadStringOperands(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want string // in the error
	}{
		{"starts_with without a value", spec("a", OpStartsWith), "exactly 1 value"},
		{"ends_with with two values", spec("a", OpEndsWith, "x", "y"), "exactly 1 value"},
		{"an empty prefix", spec("a", OpStartsWith, ""), "non-empty string"},
		{"a suffix that is not a string", spec("a", OpEndsWith, 1.0), "non-empty string"},
		{"an empty pattern", spec("a", OpMatches, ""), "non-empty string"},
		{"a pattern that does not parse", spec("a", OpMatches, "svc-(a"), "missing closing )"},
		{"a pattern that would escape its anchors", spec("a", OpMatches, "a)|(b"), "unexpected )"},
		{"a Perl lookahead (not RE2)", spec("a", OpMatches, "(?=a)a"), "invalid or unsupported Perl syntax"},
		{"a pattern too long", spec("a", OpMatches, strings.Repeat("a", 1025)), "more than 1024"},
		{"a pattern compiling too large", spec("a", OpMatches, "(a{1000}){1000}"), "invalid repeat count"},
		{"a pattern over the instruction cap", spec("a", OpMatches, "[a-z]{1,1000}b{1,1000}"), "more than 2000"},
		{"a domain with @", spec("email", OpInDomain, "@corp.example"), `without "@"`},
		{"a wildcard domain", spec("email", OpInDomain, "*.corp.example"), "subdomains"},
		{"a domain with a trailing dot", spec("email", OpInDomain, "corp.example."), "empty label"},
		{"a domain with an empty label", spec("email", OpInDomain, "corp..example"), "bad domain"},
		{"a domain with a space", spec("email", OpInDomain, "corp example"), "bad domain"},
		{"subdomains on another op", Spec{Claim: "a", Op: OpEndsWith, Values: []any{"x"}, Subdomains: true},
			"in_domain only"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile([]Spec{tc.spec}, Options{})
			wantErrorIs(t, err, ErrInvalidSpec)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
