package policy

import (
	"fmt"
	"time"
)

// DefaultRolesClaim is the claim path permission validators read roles from
// when Options.RolesClaim is empty.
const DefaultRolesClaim = "roles"

// Options are the settings shared by every validator of a policy.
type Options struct {
	// Roles maps a role name to the permissions it grants (RBAC). A granted
	// permission "*" grants all, and "area:*" grants every permission that
	// starts with "area:". Compiled once into sets by Compile.
	Roles map[string][]string
	// RolesClaim is the path of the claim holding the subject's roles, a
	// JSON array of strings. Default: "roles".
	RolesClaim string
	// Now is the clock used for claim ages. Default: time.Now.
	Now func() time.Time
	// Refresher refetches stale or missing claims from claim sources.
	// Default: nil, nothing is refreshable.
	Refresher Refresher
}

// Policy is an ordered list of compiled validators. It is immutable and safe
// for concurrent use; build it once (at provision time) with Compile or
// Merge, and call Evaluate per request. A nil *Policy allows everything.
type Policy struct {
	validators []*validator
	slots      []int    // per validator: index into sources, or -1
	sources    []source // distinct refreshable claims
	now        func() time.Time
	// systemClock is true when now is time.Now (Options.Now unset): a
	// refresher on the system clock may then reuse Evaluate's reading.
	systemClock bool
	// pass marks, per validator, pass mode (see WithPass); nil: none.
	pass []bool
}

// source is one refreshable top-level claim and the refresher serving it.
type source struct {
	claim     string
	refresher Refresher
	memo      MemoRefresher // refresher, if it offers the cheap hit path
}

// Compile checks and compiles specs, in order. It refuses unknown ops, a
// wrong number of values, empty claim paths, negative max ages, a
// permission that no role grants, malformed role wildcards (all wrapping
// ErrInvalidSpec) and two validators with one id (ErrDuplicateID).
func Compile(specs []Spec, opts Options) (*Policy, error) {
	roles, err := compileRoles(opts.Roles)
	if err != nil {
		return nil, err
	}
	vs := make([]*validator, 0, len(specs))
	for _, s := range specs {
		v, err := compileSpec(s, opts, roles)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return build(vs, opts.Now)
}

// Merge returns the policy a route enforces: global's validators in order,
// minus those whose ids are in skip, then route's. An id in skip that global
// does not have is an error (ErrUnknownID), and so is an id present in both
// (ErrDuplicateID), so a route cannot silently shadow a global validator.
// Either policy may be nil. The merged policy uses route's clock, or
// global's when route is nil; validators keep the Refresher they were
// compiled with.
func Merge(global, route *Policy, skip []string) (*Policy, error) {
	skipped := make(map[string]bool, len(skip))
	for _, id := range skip {
		if !global.Has(id) {
			return nil, fmt.Errorf("skipping global validator %q: %w", id, ErrUnknownID)
		}
		skipped[id] = true
	}
	var vs []*validator
	for _, v := range global.list() {
		if !skipped[v.id] {
			vs = append(vs, v)
		}
	}
	vs = append(vs, route.list()...)
	now := route.clock()
	if route == nil {
		now = global.clock()
	}
	return build(vs, now)
}

// build indexes vs into a Policy: unique ids, and one refresh slot per
// distinct refreshable claim.
func build(vs []*validator, now func() time.Time) (*Policy, error) {
	p := &Policy{validators: vs, slots: make([]int, len(vs)), now: now, systemClock: now == nil}
	if now == nil {
		p.now = time.Now
	}
	seen := make(map[string]bool, len(vs))
	for i, v := range vs {
		if seen[v.id] {
			return nil, fmt.Errorf("validator id %q: %w", v.id, ErrDuplicateID)
		}
		seen[v.id] = true
		p.slots[i] = p.slotFor(v)
	}
	return p, nil
}

func (p *Policy) slotFor(v *validator) int {
	if v.source == "" {
		return -1
	}
	for i, s := range p.sources {
		if s.claim == v.source {
			return i
		}
	}
	m, _ := v.refresher.(MemoRefresher)
	p.sources = append(p.sources, source{claim: v.source, refresher: v.refresher, memo: m})
	return len(p.sources) - 1
}

// IDs returns the validator ids in evaluation order.
func (p *Policy) IDs() []string {
	ids := make([]string, 0, p.Len())
	for _, v := range p.list() {
		ids = append(ids, v.id)
	}
	return ids
}

// Len returns the number of validators.
func (p *Policy) Len() int { return len(p.list()) }

// Has reports whether the policy has a validator with this id; callers use it
// to check ids named by on_failure and similar references.
func (p *Policy) Has(id string) bool {
	for _, v := range p.list() {
		if v.id == id {
			return true
		}
	}
	return false
}

func (p *Policy) list() []*validator {
	if p == nil {
		return nil
	}
	return p.validators
}

// clock is the clock the policy was built with; nil for the system clock.
func (p *Policy) clock() func() time.Time {
	if p == nil || p.systemClock {
		return nil
	}
	return p.now
}
