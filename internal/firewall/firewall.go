package firewall

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Path rules of the opt-in request firewall (`reject_paths` on a handler).
// Each refuses a path spelling that Caddy's matchers read one way and some
// upstreams another: Tomcat drops ";params" from segments, IIS and Windows
// trim trailing dots and spaces, and servers that decode %2F, %5C or "\"
// into separators turn "/admin%2Fx" or "/admin\x" into "/admin/x". A route
// matched as "not /admin/*" must then never reach such an upstream. A
// refusal's reason is path_<rule>.
const (
	RuleEncodedNUL       = "encoded_nul"        // %00 anywhere in the path
	RuleEncodedSlash     = "encoded_slash"      // %2F: a separator Caddy does not split on
	RuleEncodedBackslash = "encoded_backslash"  // %5C
	RuleBackslash        = "backslash"          // a raw "\" (a separator on Windows servers)
	RuleTrailingDotSpace = "trailing_dot_space" // a segment ending in "." or " " (also "." and "..")
	RuleSemicolon        = "semicolon"          // ";" or %3B (Tomcat path parameters, ;jsessionid=)
)

// pathRules lists the rules in the order they are checked; the first that
// matches names the refusal's reason (path_<rule>).
var pathRules = []string{
	RuleEncodedNUL, RuleEncodedSlash, RuleEncodedBackslash,
	RuleBackslash, RuleTrailingDotSpace, RuleSemicolon,
}

// RuleNames lists every rule in the order they are checked.
func RuleNames() []string { return slices.Clone(pathRules) }

// Check refuses unknown rule names and repeats.
func Check(rules []string) error {
	seen := map[string]bool{}
	for _, r := range rules {
		if !slices.Contains(pathRules, r) {
			return fmt.Errorf("reject_paths: unknown rule %q (want %s)", r, strings.Join(pathRules, ", "))
		}
		if seen[r] {
			return fmt.Errorf("reject_paths: %q given twice", r)
		}
		seen[r] = true
	}
	return nil
}

// Rules are the enabled rules of a route, as checked by Check.
type Rules []string

// Rejected returns the first enabled rule one of paths breaks, or "".
// Each path is an escaped request path: the one the client sent (see
// RawPath) and, when the request was rewritten, the one that goes
// upstream. Each is checked with every further decoding pathLayers finds
// in it.
func (rules Rules) Rejected(paths ...string) string {
	if len(rules) == 0 {
		return ""
	}
	for _, rule := range pathRules {
		if !slices.Contains(rules, rule) {
			continue
		}
		for _, raw := range paths {
			for i, layer := range pathLayers(raw) {
				// A raw "\" in a decoded layer was %5C in the one
				// before: encoded_backslash's case, not backslash's.
				if (i == 0 || rule != RuleBackslash) && pathBreaks(rule, layer) {
					return rule
				}
			}
		}
	}
	return ""
}

// RawPath is the path of target, a request-target as received (before
// any rewrite and before percent-decoding); fallback is the escaped path
// to use when target has none ("*", or absent). Go's URL re-encodes a raw
// "\" as %5C, so the request line is the only place the two differ.
func RawPath(target, fallback string) string {
	if !strings.HasPrefix(target, "/") {
		// Absolute-form ("GET http://host/admin\x"): the path as written
		// starts at the first "/" after the authority. Go's URL would
		// re-encode the raw "\" here too.
		_, rest, ok := strings.Cut(target, "://")
		if !ok {
			return fallback
		}
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			return "/"
		}
		target = rest[i:]
	}
	path, _, _ := strings.Cut(target, "?")
	return path
}

// pathBreaks reports whether raw, an escaped path, breaks rule.
func pathBreaks(rule, raw string) bool {
	lower := strings.ToLower(raw)
	switch rule {
	case RuleEncodedNUL:
		return strings.Contains(lower, "%00")
	case RuleEncodedSlash:
		return strings.Contains(lower, "%2f")
	case RuleEncodedBackslash:
		return strings.Contains(lower, "%5c")
	case RuleBackslash:
		return strings.Contains(raw, `\`)
	case RuleSemicolon:
		return strings.Contains(raw, ";") || strings.Contains(lower, "%3b")
	case RuleTrailingDotSpace:
		return hasTrailingDotSpace(raw)
	}
	return false
}

// hasTrailingDotSpace reports a segment that, decoded, ends in "." or " ".
// Segments are split on the raw "/" only, so %2F stays inside its segment.
func hasTrailingDotSpace(raw string) bool {
	for _, seg := range strings.Split(raw, "/") {
		dec, err := url.PathUnescape(seg)
		if err != nil {
			dec = seg
		}
		if dec != "" && (dec[len(dec)-1] == '.' || dec[len(dec)-1] == ' ') {
			return true
		}
	}
	return false
}
