package policy

import (
	"fmt"
	"strings"
)

// grants is the compiled set of permissions one role grants.
//
// Wildcards live only on the granting side: a granted permission "*" grants
// every permission, and one ending in ":*" ("blog:*") grants every
// permission that starts with the text before the "*" ("blog:read",
// "blog:posts:write"; not "blog" nor "blogs:read"). Any other "*" in a
// granted permission is a config error, so nothing is silently literal. The
// permission a validator requires is always a literal string, never a
// pattern: `require permission blog:*` needs a role that grants "blog:*"
// itself (or a wider wildcard), not one that grants "blog:read".
type grants struct {
	all      bool
	exact    map[string]struct{}
	prefixes []string // "blog:" for "blog:*"
}

// roleTable maps a role name to what it grants.
type roleTable map[string]*grants

// compileRoles builds the role table once, at Compile time.
func compileRoles(roles map[string][]string) (roleTable, error) {
	t := make(roleTable, len(roles))
	for role, perms := range roles {
		if role == "" {
			return nil, fmt.Errorf("compiling roles: empty role name: %w", ErrInvalidSpec)
		}
		g := &grants{exact: make(map[string]struct{}, len(perms))}
		for _, p := range perms {
			if err := g.add(p); err != nil {
				return nil, fmt.Errorf("compiling role %q: %w", role, err)
			}
		}
		t[role] = g
	}
	return t, nil
}

func (g *grants) add(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("empty permission: %w", ErrInvalidSpec)
	case p == "*":
		g.all = true
	case strings.HasSuffix(p, ":*") && !strings.Contains(p[:len(p)-1], "*"):
		g.prefixes = append(g.prefixes, p[:len(p)-1])
	case strings.Contains(p, "*"):
		return fmt.Errorf("permission %q: \"*\" may only be the whole permission or follow a final \":\": %w", p, ErrInvalidSpec)
	default:
		g.exact[p] = struct{}{}
	}
	return nil
}

func (g *grants) has(perm string) bool {
	if g.all {
		return true
	}
	if _, ok := g.exact[perm]; ok {
		return true
	}
	for _, pre := range g.prefixes {
		if strings.HasPrefix(perm, pre) {
			return true
		}
	}
	return false
}

// anyGrants reports whether some role in the table grants perm; Compile uses
// it to refuse a permission no role can ever satisfy (almost always a typo).
func (t roleTable) anyGrants(perm string) bool {
	for _, g := range t {
		if g.has(perm) {
			return true
		}
	}
	return false
}

// permitted reports whether any role in roles grants perm. roles must be a
// JSON array; elements that are not strings grant nothing. A single string
// is not a list of roles (type-exact, as everywhere in the policy), and is
// refused by the caller before this is reached.
func (t roleTable) permitted(roles []any, perm string) bool {
	for _, r := range roles {
		name, ok := r.(string)
		if !ok {
			continue
		}
		if g, ok := t[name]; ok && g.has(perm) {
			return true
		}
	}
	return false
}
