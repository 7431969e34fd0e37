package caddymodule

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Attacks on the string validators (starts_with, ends_with, matches,
// in_domain) through a real Caddy: address spellings that a lax reader
// would place in the corporate domain, values that cost the gateway time,
// and values that try to slip past a pattern's anchors.

// Each claim is the JSON of the token's email claim.
func TestValidatorsAttackInDomainSpellings(t *testing.T) {
	g := startPolicyGateway(t, "",
		route("/domain/*", "require email in_domain corp.example")+
			route("/sub/*", "require email in_domain corp.example subdomains"))
	cases := []struct {
		name, path, email string
		pass              bool
	}{
		{"the domain followed by another", "/domain/x", `"a@corp.example.evil"`, false},
		{"a second @ after the domain", "/domain/x", `"a@corp.example@evil"`, false},
		{"a quoted local part hiding an @", "/domain/x", `"\"a@evil\"@corp.example"`, false},
		{"a full-width at sign", "/domain/x", `"a＠corp.example"`, false},
		{"a small at sign", "/domain/x", `"a﹫corp.example"`, false},
		{"a percent-encoded at sign", "/domain/x", `"a%40corp.example"`, false},
		{"a percent-encoded dot", "/domain/x", `"a@corp%2eexample"`, false},
		{"a NUL after the domain", "/domain/x", `"a@corp.example\u0000"`, false},
		{"a NUL then another domain", "/domain/x", `"a@corp.example\u0000.evil"`, false},
		{"a trailing space", "/domain/x", `"a@corp.example "`, false},
		{"a trailing CRLF", "/domain/x", `"a@corp.example\r\n"`, false},
		{"a trailing no-break space", "/domain/x", `"a@corp.example\u00a0"`, false},
		{"a comment before the domain", "/domain/x", `"a@(x)corp.example"`, false},
		{"a comment after the domain", "/domain/x", `"a@corp.example(x)"`, false},
		{"a port", "/domain/x", `"a@corp.example:25"`, false},
		{"an address literal", "/domain/x", `"a@[127.0.0.1]"`, false},
		{"a trailing dot", "/domain/x", `"a@corp.example."`, false},
		{"a trailing ideographic full stop", "/domain/x", `"a@corp.example。"`, false},
		{"a Cyrillic look-alike letter", "/domain/x", `"a@corp.exаmple"`, false},
		{"an invalid A-label", "/domain/x", `"a@xn--corp.example"`, false},
		{"a one-dot leader is not a dot", "/domain/x", `"a@corp․example"`, false},
		{"no local part", "/domain/x", `"@corp.example"`, false},
		{"no domain", "/domain/x", `"a@"`, false},
		{"the domain alone", "/domain/x", `"corp.example"`, false},
		{"upper case is the same domain", "/domain/x", `"a@CORP.EXAMPLE"`, true},
		// UTS #46 mapping: the name a resolver looks up is corp.example.
		{"full-width letters map to the domain", "/domain/x", `"a@ｃｏｒｐ.example"`, true},
		{"a full-width full stop maps to a dot", "/domain/x", `"a@corp．example"`, true},
		// The domain decides; the local part is the mailbox owner's.
		{"a percent hack in the local part", "/domain/x", `"evil%attacker.example@corp.example"`, true},
		{"subdomains: a subdomain", "/sub/x", `"a@eu.corp.example"`, true},
		{"subdomains: a name ending in the domain's letters", "/sub/x", `"a@xcorp.example"`, false},
		{"subdomains: an empty label before the domain", "/sub/x", `"a@.corp.example"`, false},
		{"subdomains: the domain under another", "/sub/x", `"a@corp.example.evil.example"`, false},
		{"subdomains: a leading hyphen", "/sub/x", `"a@-x.corp.example"`, false},
		{"a number", "/domain/x", `1`, false},
		{"null", "/domain/x", `null`, false},
		{"a list of one good address", "/sub/x", `["a@corp.example"]`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := g.as(tc.path, "email="+tc.email)
			if tc.pass {
				wantPassed(t, r)
				return
			}
			if fs := wantFailedIDs(t, r, "email"); fs[0].Reason["expectedDomain"] != "corp.example" {
				t.Fatalf("reason %v", fs[0].Reason)
			}
		})
	}
}

// A claim value of most of a megabyte, as a claim source may send (its
// body cap is 1 MiB; a profile service may echo what the user typed), is
// answered at once by every string validator. Before matches was compiled
// anchored, the first pattern took 10 s per request on such a value: an
// unanchored search starts at every byte. (Tokens are capped by Caddy's
// 16 KiB header limit, where it took 70 ms.)
func TestValidatorsAttackLongValuesCostLittle(t *testing.T) {
	long := strings.Repeat("a", 900<<10)
	values := map[string]string{"plain": long, "mail": long + "@corp.example", "acme": "acme-" + long + "c"}
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"tenant": values[strings.TrimPrefix(r.URL.Path, "/t/")]})
	}))
	t.Cleanup(src.Close)
	g := startPolicyGateway(t, "\t\tclaim tenant {\n\t\t\tfetch "+src.URL+"/t/{sub}\n\t\t\tpath tenant\n\t\t}",
		route("/pattern/*", `require tenant matches "(a|aa|aaa|aaaa|b){1,40}c"`)+
			route("/email/*", `require tenant matches "[a-z0-9._%+-]{1,64}@[a-z0-9.-]{1,64}\.example"`)+
			route("/domain/*", "require tenant in_domain corp.example subdomains")+
			route("/suffix/*", "require tenant ends_with @corp.example")+
			route("/prefix/*", "require tenant starts_with acme-"))
	for sub := range values {
		token := g.mint(sub)
		for _, path := range []string{"/pattern/x", "/email/x", "/domain/x", "/suffix/x", "/prefix/x"} {
			start := time.Now()
			r := g.do("GET", path, "Authorization: Bearer "+token)
			if r.status != http.StatusOK && r.status != http.StatusForbidden {
				t.Fatalf("%s: status %d %.200s", path, r.status, r.body)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("%s on %s took %v", path, sub, d)
			}
		}
	}
}

// Values that try to pass a pattern with a part of themselves: a trailing
// newline, a second line, a prefix; and patterns whose own text would
// reach past the anchors.
func TestValidatorsAttackPatternAnchors(t *testing.T) {
	g := startPolicyGateway(t, "",
		route("/tenant/*", `require tenant matches "acme-[a-z]+"`)+
			route("/lines/*", `require tenant matches "(?m)^acme-[a-z]+$"`)+
			route("/alt/*", `require tenant matches "acme|admin-.*"`)+
			route("/quoted/*", "require tenant matches `\\Qa)|(b`"))
	cases := []struct {
		path, tenant string
		pass         bool
	}{
		{"/tenant/x", `"acme-eu"`, true},
		{"/tenant/x", `"acme-eu\n"`, false},
		{"/tenant/x", `"acme-eu\nroot"`, false},
		{"/tenant/x", `"root\nacme-eu"`, false},
		{"/tenant/x", `"acme-eu\u0000root"`, false},
		{"/lines/x", `"acme-eu"`, true},
		{"/lines/x", `"root\nacme-eu"`, false},
		{"/lines/x", `"acme-eu\nroot"`, false},
		{"/alt/x", `"acme"`, true},
		{"/alt/x", `"acme-eu"`, false}, // the alternation is anchored as a whole
		{"/alt/x", `"admin-x"`, true},
		{"/alt/x", `"x-admin-x"`, false},
		{"/quoted/x", `"a)|(b"`, true},
		{"/quoted/x", `"a"`, false},
		{"/quoted/x", `"b"`, false},
	}
	for _, tc := range cases {
		t.Run(tc.path+" "+tc.tenant, func(t *testing.T) {
			r := g.as(tc.path, "tenant="+tc.tenant)
			if tc.pass {
				wantPassed(t, r)
				return
			}
			wantFailedIDs(t, r, "tenant")
		})
	}
}
