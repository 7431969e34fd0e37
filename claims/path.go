package claims

// Lookup resolves a claim path against claims, level by level. At each level
// the keys present are tried longest first: a key matches when the rest of
// the path equals it or starts with it followed by ".". Namespaced claim
// names that contain dots ("https://example.com/session.roles") therefore
// need no escaping.
//
// Lookup never guesses. A path that reaches a value through more than one
// split into keys (a flat key "realm_access.roles" next to a nested
// realm_access → roles) is ambiguous and reported missing, so the result
// never depends on the order in which splits are tried. A split that leads
// nowhere (the longest key exists but holds no rest) is not a second
// resolution: the one split that does resolve wins.
//
// Only JSON objects (map[string]any) are descended into: array elements
// cannot be addressed ("roles.0" is the key "0" of an object roles, never an
// index), and SuperTokens-shaped values {"v","t"} are not unwrapped on the
// way down. The empty path is always missing. Lookup does not allocate.
func Lookup(claims map[string]any, path string) (any, bool) {
	if path == "" || claims == nil {
		return nil, false
	}
	v, n := resolve(claims, path)
	if n != 1 {
		return nil, false
	}
	return v, true
}

// resolve returns the value rest names inside m and how many distinct splits
// reach a value, stopping at two. JSON-decoded claims form a tree, so each
// (object, rest) pair is visited at most once and the work is bounded by the
// number of objects times the dots in the path.
func resolve(m map[string]any, rest string) (v any, n int) {
	if x, ok := m[rest]; ok {
		v, n = x, 1
	}
	for i := len(rest) - 1; i >= 0; i-- {
		if rest[i] != '.' {
			continue
		}
		sub, ok := m[rest[:i]].(map[string]any)
		if !ok {
			continue
		}
		x, k := resolve(sub, rest[i+1:])
		if k == 0 {
			continue
		}
		if n == 0 {
			v = x
		}
		if n += k; n > 1 {
			return nil, 2
		}
	}
	return v, n
}
