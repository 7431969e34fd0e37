package policy

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/authgate/authgate/verifier"
)

// Errors of Checker.Check for questions it cannot ask. They never carry
// the name or permission asked about: callers answer 400 with a reason
// code and must not echo what the client sent.
var (
	// ErrUnknownCheck means a question names no declared check.
	ErrUnknownCheck = errors.New("unknown check")
	// ErrBadPermission means a question's permission is not a permission:
	// too long, not UTF-8, or holding a space or a control character.
	ErrBadPermission = errors.New("malformed permission")
	// ErrBadQuestion means a question asks for neither or both of a
	// permission and a check.
	ErrBadQuestion = errors.New("a question asks for exactly one permission or check")
)

// MaxPermissionBytes caps the length of a permission asked about.
const MaxPermissionBytes = 256

// MaxCheckNameBytes caps the length of a check's name.
const MaxCheckNameBytes = 64

// Question is one authorization question: may the identity do this? It
// names exactly one of a permission (RBAC through Options.Roles, as
// `require permission P`) and a declared check.
type Question struct {
	Permission string
	Check      string
}

// Checker answers authorization questions about an identity, the way the
// gateway would decide them on a route: the global validators first, then
// those of the question. It is immutable and safe for concurrent use;
// build it once with NewChecker. There are no free-form expressions: a
// question names a permission or a check declared in the configuration.
type Checker struct {
	global     *Policy
	named      map[string]*Policy
	roles      roleTable
	rolesClaim string
	refresher  Refresher
	now        func() time.Time
}

// NewChecker returns a Checker over the global policy (nil: none) and the
// named checks, each a policy compiled with Compile. opts must be the
// options the policies were compiled with: a permission question reads
// its roles and refresher. A check name must be 1 to MaxCheckNameBytes
// letters, digits, "_", "-", "." or ":", starting with a letter or digit.
func NewChecker(global *Policy, named map[string]*Policy, opts Options) (*Checker, error) {
	roles, err := compileRoles(opts.Roles)
	if err != nil {
		return nil, err
	}
	c := &Checker{global: global, named: make(map[string]*Policy, len(named)), roles: roles,
		rolesClaim: opts.RolesClaim, refresher: opts.Refresher, now: opts.Now}
	if c.rolesClaim == "" {
		c.rolesClaim = DefaultRolesClaim
	}
	for name, p := range named {
		if !validCheckName(name) {
			return nil, fmt.Errorf("check name %q: want letters, digits, _ - . or :, at most %d bytes: %w",
				name, MaxCheckNameBytes, ErrInvalidSpec)
		}
		if p.Len() == 0 {
			return nil, fmt.Errorf("check %q has no validators: %w", name, ErrInvalidSpec)
		}
		c.named[name] = p
	}
	return c, nil
}

// Check answers every question about id, in order: a nil *Denial for a
// question that holds, else the Denial saying why not, the body of the
// 403 the gateway would answer. The global validators run once, first: an
// identity they refuse gets their Denial for every question. Every
// question is resolved before anything is evaluated, so a question the
// checker cannot ask (ErrUnknownCheck, ErrBadPermission, ErrBadQuestion)
// fails the whole call at no cost. A question asked twice is evaluated
// once. Claims are refreshed as Evaluate does,
// through the Refresher and its per-subject limits; a refresh failure is
// a *RefreshError.
func (c *Checker) Check(ctx context.Context, id *verifier.Identity, qs []Question) ([]*Denial, error) {
	ps := make([]*Policy, len(qs))
	for i, q := range qs {
		p, err := c.resolve(q)
		if err != nil {
			return nil, err
		}
		ps[i] = p
	}
	id, denial, err := c.global.Evaluate(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]*Denial, len(ps))
	first := make(map[Question]int, len(qs))
	for i, p := range ps {
		if denial != nil {
			out[i] = denial
			continue
		}
		// A question asked again in one batch gets the first answer: a
		// validator with max_age 0 would otherwise fetch once per copy.
		if j, seen := first[qs[i]]; seen {
			out[i] = out[j]
			continue
		}
		first[qs[i]] = i
		if _, out[i], err = p.Evaluate(ctx, id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// resolve finds the policy that answers q.
func (c *Checker) resolve(q Question) (*Policy, error) {
	switch {
	case q.Permission != "" && q.Check != "":
		return nil, ErrBadQuestion
	case q.Check != "":
		p, ok := c.named[q.Check]
		if !ok {
			return nil, ErrUnknownCheck
		}
		return p, nil
	case q.Permission != "":
		return c.permission(q.Permission)
	}
	return nil, ErrBadQuestion
}

// permission builds the policy of one `require permission P`. Unlike
// Compile, it accepts a permission no role grants: the answer is then
// simply no.
func (c *Checker) permission(perm string) (*Policy, error) {
	if !validPermission(perm) {
		return nil, ErrBadPermission
	}
	v := &validator{id: "permission:" + perm, path: c.rolesClaim, op: OpPermission,
		field: FieldExpectedPermission, values: []any{perm}, expected: perm, perm: perm, roles: c.roles}
	v.setSource(c.refresher)
	return build([]*validator{v}, c.now)
}

// validPermission reports whether p can be a permission: UTF-8 of at most
// MaxPermissionBytes, no spaces, no control characters. A "*" in it is
// literal, as in `require permission`: asking for "blog:*" asks for a role
// granting "blog:*" (or "*"), never for any permission of blog.
func validPermission(p string) bool {
	if p == "" || len(p) > MaxPermissionBytes || !utf8.ValidString(p) {
		return false
	}
	for _, r := range p {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// validCheckName reports whether name can name a check.
func validCheckName(name string) bool {
	if name == "" || len(name) > MaxCheckNameBytes {
		return false
	}
	for i, r := range name {
		alnum := r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
		if !alnum && (i == 0 || r != '_' && r != '-' && r != '.' && r != ':') {
			return false
		}
	}
	return true
}
