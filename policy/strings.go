package policy

import (
	"fmt"
	"strings"

	"github.com/authgate/authgate/claims"
)

// setString checks the one operand of a string validator and builds what
// it matches with, once: the compiled pattern of matches, the normalised
// domain of in_domain. The expectation shown in failure reasons is the
// operand as configured, except for in_domain, which shows the domain it
// compares with (lower case, A-labels).
func (v *validator) setString() error {
	operand, ok := v.values[0].(string)
	if !ok || operand == "" {
		return fmt.Errorf("takes a non-empty string: %w", ErrInvalidSpec)
	}
	v.str, v.expected = operand, operand
	switch v.op {
	case OpMatches:
		p, err := claims.CompilePattern(operand)
		if err != nil {
			return fmt.Errorf("%w: %w", err, ErrInvalidSpec)
		}
		v.pattern = p
	case OpInDomain:
		d, err := claims.DomainOperand(operand)
		if err != nil {
			return fmt.Errorf("%w: %w", err, ErrInvalidSpec)
		}
		v.str, v.expected = d, d
	}
	return nil
}

// holdsString reports whether a present claim value passes a string
// validator. Only a string can: a number, a boolean, null, an object or an
// array (even one holding a passing string) fails closed.
func (v *validator) holdsString(value any) bool {
	s, ok := value.(string)
	if !ok {
		return false
	}
	switch v.op {
	case OpStartsWith:
		return strings.HasPrefix(s, v.str)
	case OpEndsWith:
		return strings.HasSuffix(s, v.str)
	case OpMatches:
		return v.pattern.MatchWhole(s)
	case OpInDomain:
		d, ok := claims.EmailDomain(s)
		return ok && claims.InDomain(d, v.str, v.subdomain)
	}
	return false
}
