package verifier

import (
	"errors"
	"fmt"
	"regexp"
)

// DefaultMinTokenBytes is the shortest credential an introspect block
// sends by default: real session tokens carry far more than 8 bytes of
// entropy, so anything shorter is junk no session service issues.
const DefaultMinTokenBytes = 8

// CredentialShape is what an introspect block says about the credentials
// it accepts and the budget of calls each client may spend, in
// configuration terms: zero values mean defaults.
type CredentialShape struct {
	// Pattern is a regular expression (RE2) a credential must match in
	// full. Default: none.
	Pattern string
	// MinBytes and MaxBytes bound a credential's length. Defaults:
	// DefaultMinTokenBytes, and the config's MaxTokenBytes (MaxBytes may
	// only lower it).
	MinBytes, MaxBytes int
	// ClientRate is each client's budget of calls per second: 0 is a tenth
	// of the config's RateLimit (at least 1), -1 no budget. ClientBurst is
	// how many it may spend at once; 0 is twice ClientRate.
	ClientRate, ClientBurst int
}

// WithShape returns c with the shape applied: TokenPattern, MinTokenBytes,
// MaxTokenBytes, ClientRate and ClientBurst. It refuses a pattern that does
// not compile, negative values (but ClientRate -1) and a minimum above the
// maximum.
func (c IntrospectConfig) WithShape(s CredentialShape) (IntrospectConfig, error) {
	defaultIfZero(&c.MaxTokenBytes, defaultMaxTokenBytes)
	if s.Pattern != "" {
		re, err := regexp.Compile(`^(?:` + s.Pattern + `)$`)
		if err != nil {
			return c, fmt.Errorf("token_pattern: %w", err)
		}
		c.TokenPattern = re
	}
	if s.MinBytes < 0 || s.MaxBytes < 0 || s.ClientBurst < 0 || s.ClientRate < -1 {
		return c, errors.New("min_token_length, max_token_length, client_rate_limit and client_burst must not be negative")
	}
	c.MinTokenBytes = DefaultMinTokenBytes
	if s.MinBytes > 0 {
		c.MinTokenBytes = s.MinBytes
	}
	if s.MaxBytes > 0 {
		c.MaxTokenBytes = min(s.MaxBytes, c.MaxTokenBytes)
	}
	if c.MinTokenBytes > c.MaxTokenBytes {
		return c, errors.New("min_token_length is above max_token_length")
	}
	rate := s.ClientRate
	if rate == 0 {
		shared := int(c.RateLimit)
		if shared <= 0 {
			shared = defaultIntrospectRate
		}
		rate = max(shared/10, 1)
	}
	if rate > 0 {
		c.ClientRate = float64(rate)
		c.ClientBurst = s.ClientBurst
		if c.ClientBurst == 0 {
			c.ClientBurst = 2 * rate
		}
	}
	return c, nil
}
