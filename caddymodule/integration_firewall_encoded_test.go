package caddymodule

import (
	"net/http"
	"testing"
)

// disguisedPaths spell the firewall's characters in ways a single look at
// the request line misses but an upstream that decodes twice (a proxy
// chain, a framework that unescapes again) or accepts overlong UTF-8 (old
// IIS, some Java decoders) turns into the character itself: percent-
// encoding applied twice, and two- and three-byte overlong forms of "/",
// "\", ";", "." and NUL. Each must break the rule of the character it
// hides.
var disguisedPaths = []struct{ path, rule string }{
	{"/admin%253b/x", "semicolon"},
	{"/admin%253B/x", "semicolon"},
	{"/admin%25253b/x", "semicolon"},
	{"/admin%25%33%62/x", "semicolon"},
	{"/admin%c0%bb/x", "semicolon"},
	{"/admin%252f/x", "encoded_slash"},
	{"/admin%c0%af/x", "encoded_slash"},
	{"/admin%e0%80%af/x", "encoded_slash"},
	{"/admin%f0%80%80%af/x", "encoded_slash"},
	{"/admin%25253b%25zz/x", "semicolon"},
	{"/admin%255c/x", "encoded_backslash"},
	{"/admin%c1%9c/x", "encoded_backslash"},
	{"/admin%2500/x", "encoded_nul"},
	{"/admin%c0%80/x", "encoded_nul"},
	{"/admin%252e/x", "trailing_dot_space"},
	{"/admin%c0%ae/x", "trailing_dot_space"},
	{"/admin%2520/x", "trailing_dot_space"},
}

// TestRequestFirewallSeesThroughDoubleEncodingAndOverlongUTF8 turns on one
// rule at a time and sends each disguised spelling over a raw socket: the
// spellings hiding the rule's character get 400 path_<rule>, the others
// still reach the upstream (the rules stay separable), and so does an
// ordinary path with an encoded percent sign.
func TestRequestFirewallSeesThroughDoubleEncodingAndOverlongUTF8(t *testing.T) {
	rules := []string{ruleSemicolon, ruleEncodedSlash, ruleEncodedBackslash, ruleEncodedNUL, ruleTrailingDotSpace}
	for _, rule := range rules {
		t.Run(rule, func(t *testing.T) {
			up := echoUpstream(t)
			g := startGateway(t, policySite("", "\tauthgate {\n\t\toptional\n\t\treject_paths "+rule+
				"\n\t}\n\treverse_proxy "+up.URL+"\n"))
			for _, p := range disguisedPaths {
				status, body := rawGet(t, g.base, p.path)
				switch {
				case p.rule == rule && (status != http.StatusBadRequest || reasonOf(body) != "path_"+rule):
					t.Errorf("%s: %d %s, want 400 path_%s", p.path, status, body, rule)
				case p.rule != rule && status != http.StatusOK:
					t.Errorf("%s: %d %s, want it to reach the upstream (rule %s is off)", p.path, status, body, p.rule)
				}
			}
			for _, ok := range []string{"/files/100%25", "/files/caf%C3%A9", "/files/a%2520b"} {
				if status, body := rawGet(t, g.base, ok); status != http.StatusOK {
					t.Errorf("%s: %d %s, want 200", ok, status, body)
				}
			}
		})
	}
}

// TestRequestFirewallReadsAbsoluteFormTargets sends every confused and
// disguised spelling as an absolute-form request target ("GET
// http://host/admin\x HTTP/1.1", which HTTP/1.1 servers must accept):
// each still breaks its rule. Go's URL re-encodes a raw "\" there, so the
// backslash rule used to miss it.
func TestRequestFirewallReadsAbsoluteFormTargets(t *testing.T) {
	up := echoUpstream(t)
	for _, rule := range pathRules {
		t.Run(rule, func(t *testing.T) {
			g := startGateway(t, policySite("", "\tauthgate {\n\t\toptional\n\t\treject_paths "+rule+
				"\n\t}\n\treverse_proxy "+up.URL+"\n"))
			for _, p := range append(append([]struct{ path, rule string }{}, confusedPaths...), disguisedPaths...) {
				status, body := rawGet(t, g.base, g.base+p.path)
				switch {
				case p.rule == rule && (status != http.StatusBadRequest || reasonOf(body) != "path_"+rule):
					t.Errorf("%s%s: %d %s, want 400 path_%s", g.base, p.path, status, body, rule)
				case p.rule != rule && status != http.StatusOK:
					t.Errorf("%s%s: %d %s, want 200 (rule %s is off)", g.base, p.path, status, body, p.rule)
				}
			}
		})
	}
}
