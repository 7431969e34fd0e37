package policy

import (
	"fmt"
	"time"

	"github.com/authgate/authgate/claims"
)

// Op is a validator operation, named as in the Caddyfile.
type Op string

// The validator operations. Comparison is type-exact throughout (see
// jsonEqual): the string "true" is not true, "1" is not 1, and "admin" is
// not ["admin"]; numbers compare by value, arrays and objects deeply.
const (
	// OpHasValue passes when the claim equals its one value.
	OpHasValue Op = "has_value"
	// OpIsTrue passes when the claim is the JSON boolean true.
	OpIsTrue Op = "is_true"
	// OpIsFalse passes when the claim is the JSON boolean false.
	OpIsFalse Op = "is_false"
	// OpIncludes passes when the claim is an array holding its one value.
	// A claim that is not an array fails with "wrong value".
	OpIncludes Op = "includes"
	// OpExcludes passes when the claim is an array not holding its one
	// value. SuperTokens defines it on arrays only; a claim that is present
	// but not an array fails with "wrong value" (fail closed), and a missing
	// claim fails with "value does not exist", as in SuperTokens.
	OpExcludes Op = "excludes"
	// OpIncludesAll passes when the claim is an array holding every value.
	OpIncludesAll Op = "includes_all"
	// OpExcludesAll passes when the claim is an array holding none of the
	// values; non-arrays and missing claims fail as for OpExcludes.
	OpExcludesAll Op = "excludes_all"
	// OpExists passes when the claim is present, whatever its value (JSON
	// null is present).
	OpExists Op = "exists"
	// OpOneOf passes when the claim equals one of the values.
	OpOneOf Op = "one_of"
	// OpPermission passes when a role in the roles claim (an array of
	// strings) grants its one value, a permission. See Options.Roles.
	OpPermission Op = "permission"

	// The string validators below take one non-empty string operand and
	// pass only for a claim that is a string: any other value (an array
	// holding a passing string included) fails with "wrong value".

	// OpStartsWith passes when the claim starts with its value, byte for
	// byte (case-sensitive).
	OpStartsWith Op = "starts_with"
	// OpEndsWith passes when the claim ends with its value, byte for byte.
	// `ends_with corp.example` also passes "a@evilcorp.example": for
	// e-mail domains use OpInDomain.
	OpEndsWith Op = "ends_with"
	// OpMatches passes when the whole claim matches its value, an RE2
	// pattern compiled once (see claims.CompilePattern).
	OpMatches Op = "matches"
	// OpInDomain passes when the claim is an e-mail address whose domain is
	// its value (see claims.EmailDomain: one "@", a non-empty local part,
	// domains compared lower-cased and IDNA-normalised), or, with
	// Spec.Subdomains, a subdomain of it.
	OpInDomain Op = "in_domain"
)

// opInfo is what Compile needs to know about an op: how many values it
// takes (max -1: no limit) and the JSON field naming its expectation.
type opInfo struct {
	min, max int
	field    string
}

var ops = map[Op]opInfo{
	OpHasValue:    {1, 1, FieldExpectedValue},
	OpIsTrue:      {0, 0, FieldExpectedValue},
	OpIsFalse:     {0, 0, FieldExpectedValue},
	OpIncludes:    {1, 1, FieldExpectedToInclude},
	OpExcludes:    {1, 1, FieldExpectedToNotInclude},
	OpIncludesAll: {1, -1, FieldExpectedToInclude},
	OpExcludesAll: {1, -1, FieldExpectedToNotInclude},
	OpExists:      {0, 0, ""},
	OpOneOf:       {1, -1, FieldExpectedToBeOneOf},
	OpPermission:  {1, 1, FieldExpectedPermission},
	OpStartsWith:  {1, 1, FieldExpectedToStartWith},
	OpEndsWith:    {1, 1, FieldExpectedToEndWith},
	OpMatches:     {1, 1, FieldExpectedToMatch},
	OpInDomain:    {1, 1, FieldExpectedDomain},
}

// Spec describes one validator, as a `require` line writes it.
type Spec struct {
	// ID names the validator in 403 bodies, skip_global and on_failure.
	// Default: Claim as written; for permission, "permission:P".
	ID string
	// Claim is the claim path (see Lookup). Ignored for permission, which
	// reads Options.RolesClaim.
	Claim string
	// Op is the operation.
	Op Op
	// Values are the operands as decoded JSON values (see ParseLiteral);
	// for permission, one non-empty string.
	Values []any
	// MaxAge is the oldest claim value the validator accepts; it applies
	// when HasMaxAge. 0 with HasMaxAge means every request. Without
	// HasMaxAge the claim source's default applies, if any.
	MaxAge    time.Duration
	HasMaxAge bool
	// Subdomains lets in_domain pass subdomains of its domain too
	// ("eu.corp.example" for "corp.example"). Only for in_domain.
	Subdomains bool
}

// validator is a compiled Spec. It is immutable and shared by every Policy
// that Merge builds from the one it was compiled into.
type validator struct {
	id        string
	path      string
	op        Op
	values    []any
	field     string // Reason.ExpectedField
	expected  any    // Reason.Expected, built once
	perm      string
	roles     roleTable
	str       string          // starts_with, ends_with: the operand; in_domain: the domain
	pattern   *claims.Pattern // matches
	subdomain bool            // in_domain
	maxAge    time.Duration
	hasMaxAge bool
	source    string    // top-level claim the refresher refreshes; "" for none
	refresher Refresher // set with source
}

// compileSpec checks s and builds its validator.
func compileSpec(s Spec, opts Options, roles roleTable) (*validator, error) {
	v, err := newValidator(s, opts, roles)
	if err != nil {
		name := s.ID
		if name == "" {
			name = s.Claim
		}
		return nil, fmt.Errorf("compiling validator %q (%s): %w", name, s.Op, err)
	}
	return v, nil
}

func newValidator(s Spec, opts Options, roles roleTable) (*validator, error) {
	info, ok := ops[s.Op]
	if !ok {
		return nil, fmt.Errorf("unknown op: %w", ErrInvalidSpec)
	}
	if n := len(s.Values); n < info.min || info.max >= 0 && n > info.max {
		return nil, fmt.Errorf("takes %s, got %d: %w", arityText(info), n, ErrInvalidSpec)
	}
	if s.HasMaxAge && s.MaxAge < 0 {
		return nil, fmt.Errorf("negative max age: %w", ErrInvalidSpec)
	}
	if s.Subdomains && s.Op != OpInDomain {
		return nil, fmt.Errorf("subdomains applies to in_domain only: %w", ErrInvalidSpec)
	}
	v := &validator{id: s.ID, path: s.Claim, op: s.Op, field: info.field,
		values: append([]any(nil), s.Values...), maxAge: s.MaxAge, hasMaxAge: s.HasMaxAge,
		subdomain: s.Subdomains}
	if err := v.setOperands(opts, roles); err != nil {
		return nil, err
	}
	if v.path == "" {
		return nil, fmt.Errorf("empty claim path: %w", ErrInvalidSpec)
	}
	if v.id == "" {
		v.id = v.path
	}
	v.setSource(opts.Refresher)
	return v, nil
}

// setOperands builds the expectation shown in failure reasons.
func (v *validator) setOperands(opts Options, roles roleTable) error {
	switch v.op {
	case OpIsTrue:
		v.expected = true
	case OpIsFalse:
		v.expected = false
	case OpHasValue, OpIncludes, OpExcludes:
		v.expected = v.values[0]
	case OpIncludesAll, OpExcludesAll, OpOneOf:
		// SuperTokens reports the whole list for includesAll/excludesAll.
		v.expected = v.values
	case OpPermission:
		return v.setPermission(opts, roles)
	case OpStartsWith, OpEndsWith, OpMatches, OpInDomain:
		return v.setString()
	}
	return nil
}

func (v *validator) setPermission(opts Options, roles roleTable) error {
	perm, ok := v.values[0].(string)
	if !ok || perm == "" {
		return fmt.Errorf("permission must be a non-empty string: %w", ErrInvalidSpec)
	}
	if !roles.anyGrants(perm) {
		return fmt.Errorf("no role grants permission %q: %w", perm, ErrInvalidSpec)
	}
	v.perm, v.expected, v.roles = perm, perm, roles
	v.path = opts.RolesClaim
	if v.path == "" {
		v.path = DefaultRolesClaim
	}
	if v.id == "" {
		v.id = "permission:" + perm
	}
	return nil
}

// setSource asks the refresher whether the claim can be refetched, and takes
// the source's default max age when the validator sets none.
func (v *validator) setSource(r Refresher) {
	if r == nil {
		return
	}
	claim, def, ok := r.Source(v.path)
	if !ok || claim == "" {
		return
	}
	v.source, v.refresher = claim, r
	if !v.hasMaxAge && def >= 0 {
		v.maxAge, v.hasMaxAge = def, true
	}
}

func arityText(info opInfo) string {
	switch {
	case info.max == 0:
		return "no values"
	case info.min == info.max:
		return "exactly 1 value"
	}
	return "at least 1 value"
}
