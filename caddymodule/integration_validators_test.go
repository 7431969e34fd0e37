package caddymodule

import (
	"net/http"
	"strings"
	"testing"
)

// Integration tests of the string validators (issue 15 item 8) through a
// real Caddy: starts_with, ends_with, matches and in_domain, the
// `ends_with corp.example` hazard that in_domain closes, addresses read two
// ways, IDNA and case, values that are not strings, the unverified-email
// pairing, and patterns and domains refused when the config loads.

func TestStringValidatorsThroughCaddy(t *testing.T) {
	g := startPolicyGateway(t, "",
		route("/suffix/*", "require email ends_with corp.example")+
			route("/at-suffix/*", "require email ends_with @corp.example")+
			route("/domain/*", "require email in_domain corp.example")+
			route("/subdomains/*", "require email in_domain corp.example subdomains")+
			route("/idn/*", "require email in_domain Bücher.example")+
			route("/prefix/*", "require tenant starts_with acme-")+
			route("/pattern/*", `require tenant matches "acme-[a-z]{2,8}" id tenant_name`))
	cases := []struct {
		name, path, claim string
		pass              bool
	}{
		{"ends_with corp.example passes the corp's own address", "/suffix/x", "email=alice@corp.example", true},
		{"ends_with corp.example ALSO passes evilcorp.example (the documented hazard)", "/suffix/x", "email=mallory@evilcorp.example", true},
		{"ends_with @corp.example refuses evilcorp.example", "/at-suffix/x", "email=mallory@evilcorp.example", false},
		{"ends_with is case-sensitive", "/at-suffix/x", "email=alice@CORP.EXAMPLE", false},
		{"in_domain passes the corp's own address", "/domain/x", "email=alice@corp.example", true},
		{"in_domain refuses evilcorp.example", "/domain/x", "email=mallory@evilcorp.example", false},
		{"in_domain compares the domain in lower case", "/domain/x", "email=alice@CORP.Example", true},
		{"in_domain refuses an address with two @", "/domain/x", "email=a@b@corp.example", false},
		{"in_domain refuses a quoted local part holding @", "/domain/x", `email="\"a@b\"@corp.example"`, false},
		{"in_domain refuses an empty local part", "/domain/x", "email=@corp.example", false},
		{"in_domain refuses a trailing dot", "/domain/x", "email=alice@corp.example.", false},
		{"in_domain refuses an empty label", "/domain/x", "email=alice@corp..example", false},
		{"in_domain refuses a subdomain by default", "/domain/x", "email=bob@eu.corp.example", false},
		{"in_domain ... subdomains passes a subdomain", "/subdomains/x", "email=bob@eu.corp.example", true},
		{"in_domain ... subdomains passes the domain itself", "/subdomains/x", "email=alice@corp.example", true},
		{"in_domain ... subdomains still refuses evilcorp.example", "/subdomains/x", "email=mallory@evilcorp.example", false},
		{"a unicode domain passes in any case", "/idn/x", "email=jörg@BÜCHER.example", true},
		{"a unicode domain passes as its A-label", "/idn/x", "email=jorg@xn--bcher-kva.example", true},
		{"a look-alike unicode domain is refused", "/idn/x", "email=jorg@bucher.example", false},
		{"starts_with passes the prefix", "/prefix/x", "tenant=acme-eu", true},
		{"starts_with refuses another prefix", "/prefix/x", "tenant=evil-acme-eu", false},
		{"matches passes a whole match", "/pattern/x", "tenant=acme-eu", true},
		{"matches is anchored: a trailing part fails", "/pattern/x", "tenant=acme-eu/../root", false},
		{"matches is anchored: a leading part fails", "/pattern/x", "tenant=x-acme-eu", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := g.as(tc.path, tc.claim)
			if tc.pass {
				wantPassed(t, r)
				return
			}
			fs := wantDenied(t, r)
			if len(fs) != 1 || fs[0].Reason["message"] != "wrong value" {
				t.Fatalf("want one wrong value; body %s", r.body)
			}
		})
	}
	t.Run("the 403 of in_domain names the domain and shows the address", func(t *testing.T) {
		r := g.as("/domain/x", "email=mallory@evilcorp.example")
		want := `{"message":"invalid claim","claimValidationErrors":[{"id":"email","reason":{"message":"wrong value","expectedDomain":"corp.example","actualValue":"mallory@evilcorp.example"}}]}`
		if r.body != want {
			t.Fatalf("body =\n%s\nwant\n%s", r.body, want)
		}
	})
	t.Run("the 403 of in_domain shows the domain as compared, in A-labels", func(t *testing.T) {
		fs := wantDenied(t, g.as("/idn/x", "email=jorg@bucher.example"))
		if fs[0].Reason["expectedDomain"] != "xn--bcher-kva.example" {
			t.Fatalf("reason = %v", fs[0].Reason)
		}
	})
	t.Run("the 403 of the other ops names what they expected", func(t *testing.T) {
		for path, want := range map[string]string{
			"/at-suffix/x": `"expectedToEndWith":"@corp.example","actualValue":"x@y.example"`,
			"/prefix/x":    `"expectedToStartWith":"acme-","actualValue":"x@y.example"`,
			"/pattern/x":   `"id":"tenant_name","reason":{"message":"wrong value","expectedToMatch":"acme-[a-z]{2,8}","actualValue":"x@y.example"`,
		} {
			claim := "email=x@y.example"
			if path != "/at-suffix/x" {
				claim = "tenant=x@y.example"
			}
			if r := g.as(path, claim); !strings.Contains(r.body, want) {
				t.Errorf("%s: body %s\nwant it to contain %s", path, r.body, want)
			}
		}
	})
	t.Run("a missing claim does not exist", func(t *testing.T) {
		fs := wantDenied(t, g.as("/domain/x"))
		if fs[0].Reason["message"] != "value does not exist" || fs[0].Reason["expectedDomain"] != "corp.example" {
			t.Fatalf("reason = %v", fs[0].Reason)
		}
	})
}

// A claim that is not a string is refused with a 403, never a 500 and never
// a pass, by every string validator: an array holding a passing address
// included.
func TestStringValidatorsRefuseValuesThatAreNotStrings(t *testing.T) {
	g := startPolicyGateway(t, "",
		route("/domain/*", "require email in_domain corp.example")+
			route("/suffix/*", "require email ends_with @corp.example")+
			route("/prefix/*", "require email starts_with alice")+
			route("/pattern/*", `require email matches ".*"`))
	for _, path := range []string{"/domain/x", "/suffix/x", "/prefix/x", "/pattern/x"} {
		for _, claim := range []string{
			`email=["alice@corp.example"]`, "email=42", "email=true", "email=null",
			`email={"address":"alice@corp.example"}`,
		} {
			t.Run(path+" "+claim, func(t *testing.T) {
				r := g.as(path, claim)
				fs := wantDenied(t, r)
				if fs[0].Reason["message"] != "wrong value" {
					t.Fatalf("body %s", r.body)
				}
			})
		}
	}
}

// The classic bypass: an identity provider that lets users type any e-mail
// address issues tokens with email=someone@corp.example before anyone
// checked the mailbox. in_domain alone lets such a token in; paired with
// email_verified is_true, as the docs say, it does not.
func TestInDomainWithoutEmailVerifiedIsTheUnverifiedEmailBypass(t *testing.T) {
	g := startPolicyGateway(t, "",
		route("/domain-only/*", "require email in_domain corp.example")+
			route("/paired/*", "require email_verified is_true", "require email in_domain corp.example"))
	unverified := []string{"email=attacker-typed@corp.example", "email_verified=false"}
	t.Run("in_domain alone lets an unverified corp address in", func(t *testing.T) {
		wantPassed(t, g.as("/domain-only/x", unverified...))
	})
	t.Run("paired with email_verified is_true it is refused", func(t *testing.T) {
		wantFailedIDs(t, g.as("/paired/x", unverified...), "email_verified")
	})
	t.Run("paired, a token without email_verified is refused", func(t *testing.T) {
		fs := wantFailedIDs(t, g.as("/paired/x", "email=alice@corp.example"), "email_verified")
		if fs[0].Reason["message"] != "value does not exist" {
			t.Fatalf("reason = %v", fs[0].Reason)
		}
	})
	t.Run("paired, the string \"true\" is not verified", func(t *testing.T) {
		wantFailedIDs(t, g.as("/paired/x", "email=alice@corp.example", `email_verified="true"`), "email_verified")
	})
	t.Run("paired, a verified corp address passes", func(t *testing.T) {
		wantPassed(t, g.as("/paired/x", "email=alice@corp.example", "email_verified=true"))
	})
	t.Run("paired, a verified outside address fails in_domain only", func(t *testing.T) {
		wantFailedIDs(t, g.as("/paired/x", "email=mallory@evilcorp.example", "email_verified=true"), "email")
	})
}

// matches on the subject: a service account naming rule (Authelia-style
// subject rules) where the token's sub must be svc-<name>.
func TestMatchesOnTheSubject(t *testing.T) {
	g := startPolicyGateway(t, "", route("/svc/*", `require sub matches "^svc-[a-z]+$"`))
	for _, tc := range []struct {
		sub  string
		pass bool
	}{
		{"svc-billing", true},
		{"svc-billing-2", false},
		{"alice", false},
		{"svc-", false},
		{"svc-billing\nsvc-x", false},
	} {
		t.Run(tc.sub, func(t *testing.T) {
			r := g.do("GET", "/svc/x", "Authorization: Bearer "+g.mint(tc.sub))
			if strings.Contains(tc.sub, "\n") {
				// A subject with control characters never verifies: it is
				// refused before any validator could pass one of its lines.
				wantStatus(t, r, http.StatusUnauthorized)
				return
			}
			if !tc.pass {
				wantFailedIDs(t, r, "sub")
				return
			}
			wantStatus(t, r, http.StatusOK)
			if got := r.upstream.Get("X-Auth-User-Id"); got != tc.sub {
				t.Fatalf("X-Auth-User-Id = %q", got)
			}
		})
	}
}

// A bad pattern or domain never starts serving: the Caddyfile names the file
// and line, the JSON config the validator.
func TestBadPatternsAndDomainsAreRefusedAtLoad(t *testing.T) {
	for _, tc := range []struct{ name, line, want string }{
		{"an unbalanced pattern", `require sub matches "svc-(a"`, "missing closing ): `svc-(a`: bad pattern, at Caddyfile:12"},
		{"a pattern that would escape its anchors", "require sub matches `a)|(b`", "unexpected ): `a)|(b`: bad pattern, at Caddyfile:12"},
		{"a Perl lookahead", `require sub matches "(?=a)a"`, "invalid or unsupported Perl syntax"},
		{"a pattern too large", `require sub matches "[a-z]{1,1000}b{1,1000}"`, "more than 2000"},
		{"a domain with @", "require email in_domain @corp.example", `write the domain without "@"`},
		{"a domain with a trailing dot", "require email in_domain corp.example.", "empty label"},
		{"an unknown op lists the new ones", "require email domain_is corp.example",
			"ends_with, excludes, excludes_all, exists, has_value, in_domain, includes, includes_all, is_false, is_true, matches, one_of, starts_with"},
	} {
		t.Run("Caddyfile: "+tc.name, func(t *testing.T) {
			loadMustFail(t, policySite("", route("/r/*", tc.line)), tc.want)
		})
	}
	for _, tc := range []struct{ name, require, want string }{
		{"a pattern that does not parse",
			`{"claim":"sub","op":"matches","values":["svc-(a"]}`,
			`compiling validator "sub" (matches): parsing pattern`},
		{"a wildcard domain",
			`{"claim":"email","op":"in_domain","values":["*.corp.example"]}`,
			`compiling validator "email" (in_domain): bad domain name`},
		{"a pattern that is not a string",
			`{"claim":"sub","op":"matches","values":[1]}`,
			"takes a non-empty string"},
		{"subdomains on ends_with",
			`{"claim":"email","op":"ends_with","values":["corp.example"],"subdomains":true}`,
			"subdomains applies to in_domain only"},
	} {
		t.Run("JSON: "+tc.name, func(t *testing.T) {
			if testing.Short() {
				t.Skip("integration test: skipped with -short")
			}
			cfg := `{"admin":{"disabled":true},"apps":{"authgate":{"dev":true,"require":[` + tc.require +
				`]},"http":{"servers":{"s":{"listen":["127.0.0.1:0"],"routes":[{"handle":[{"handler":"authgate"}]}]}}}}}`
			wantLoadError(t, []byte(cfg), tc.want)
		})
	}
}

// The JSON form of `in_domain corp.example subdomains`, written by hand as
// an API user would, loads and behaves like the Caddyfile.
func TestInDomainJSONConfig(t *testing.T) {
	g := startPolicyGateway(t, "", route("/r/*", "require email exists"))
	cfg := strings.Replace(string(g.cfg), `{"claim":"email","op":"exists"}`,
		`{"id":"corp","claim":"email","op":"in_domain","values":["corp.example"],"subdomains":true}`, 1)
	if cfg == string(g.cfg) {
		t.Fatalf("the adapted config has no exists validator to replace:\n%s", g.cfg)
	}
	g.cfg = []byte(cfg)
	g.reload()
	wantPassed(t, g.as("/r/x", "email=bob@eu.corp.example"))
	fs := wantFailedIDs(t, g.as("/r/x", "email=mallory@evilcorp.example"), "corp")
	if fs[0].Reason["expectedDomain"] != "corp.example" {
		t.Fatalf("reason = %v", fs[0].Reason)
	}
}
