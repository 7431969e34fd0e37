package caddymodule

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/authgate/authgate/verifier"
)

// Defaults of an introspect block's credential shape and client budget.
const (
	// defaultMinTokenLength refuses credentials no session service issues:
	// real session tokens carry far more than 8 bytes of entropy.
	defaultMinTokenLength = 8
	// defaultIntrospectRateLimit mirrors the verifier's default rate_limit,
	// from which the default client budget is derived.
	defaultIntrospectRateLimit = 100
)

// shapeAndBudget fills in the credential shape (token_pattern,
// min/max_token_length) and the per-client budget of calls.
func (ic *IntrospectConfig) shapeAndBudget(cfg *verifier.IntrospectConfig) error {
	if ic.TokenPattern != "" {
		re, err := regexp.Compile(`^(?:` + ic.TokenPattern + `)$`)
		if err != nil {
			return fmt.Errorf("token_pattern: %w", err)
		}
		cfg.TokenPattern = re
	}
	if ic.MinTokenLength < 0 || ic.MaxTokenLength < 0 || ic.ClientBurst < 0 || ic.ClientRateLimit < -1 {
		return errors.New("min_token_length, max_token_length, client_rate_limit and client_burst must not be negative")
	}
	if ic.MinTokenLength > 0 {
		cfg.MinTokenBytes = ic.MinTokenLength
	}
	if ic.MaxTokenLength > 0 {
		cfg.MaxTokenBytes = min(ic.MaxTokenLength, cfg.MaxTokenBytes)
	}
	if cfg.MinTokenBytes > cfg.MaxTokenBytes {
		return errors.New("min_token_length is above max_token_length")
	}
	rate := ic.ClientRateLimit
	if rate == 0 {
		shared := ic.RateLimit
		if shared <= 0 {
			shared = defaultIntrospectRateLimit
		}
		rate = max(shared/10, 1)
	}
	if rate > 0 {
		cfg.ClientRate = float64(rate)
		cfg.ClientBurst = ic.ClientBurst
		if cfg.ClientBurst == 0 {
			cfg.ClientBurst = 2 * rate
		}
	}
	return nil
}
