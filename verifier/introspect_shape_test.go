package verifier_test

import (
	"strings"
	"testing"

	"github.com/authgate/authgate/verifier"
)

func TestWithShape(t *testing.T) {
	base := verifier.IntrospectConfig{MaxTokenBytes: 4096, RateLimit: 100}
	tests := []struct {
		name                string
		shape               verifier.CredentialShape
		rateLimit           float64
		wantMin, wantMax    int
		wantRate            float64
		wantBurst           int
		wantPattern, wantNo string
		wantErr             string
	}{
		{name: "defaults: 8 bytes, the app's maximum, a tenth of the rate", wantMin: 8, wantMax: 4096, wantRate: 10, wantBurst: 20},
		{name: "the client budget is at least one call", rateLimit: 5, wantMin: 8, wantMax: 4096, wantRate: 1, wantBurst: 2},
		{name: "an unset shared rate counts as its default", rateLimit: -1, wantMin: 8, wantMax: 4096, wantRate: 10, wantBurst: 20},
		{name: "explicit bounds and budget", shape: verifier.CredentialShape{MinBytes: 16, MaxBytes: 64, ClientRate: 3, ClientBurst: 4},
			wantMin: 16, wantMax: 64, wantRate: 3, wantBurst: 4},
		{name: "the maximum only lowers the app's", shape: verifier.CredentialShape{MaxBytes: 1 << 20}, wantMin: 8, wantMax: 4096, wantRate: 10, wantBurst: 20},
		{name: "-1 turns the client budget off", shape: verifier.CredentialShape{ClientRate: -1}, wantMin: 8, wantMax: 4096},
		{name: "the pattern must match in full", shape: verifier.CredentialShape{Pattern: "[a-z]+"},
			wantMin: 8, wantMax: 4096, wantRate: 10, wantBurst: 20, wantPattern: "abcdefgh", wantNo: "abcdefgh1"},
		{name: "a bad pattern is refused", shape: verifier.CredentialShape{Pattern: "("}, wantErr: "token_pattern"},
		{name: "negative values are refused", shape: verifier.CredentialShape{MinBytes: -1}, wantErr: "must not be negative"},
		{name: "a client rate below -1 is refused", shape: verifier.CredentialShape{ClientRate: -2}, wantErr: "must not be negative"},
		{name: "a minimum above the maximum is refused", shape: verifier.CredentialShape{MinBytes: 100, MaxBytes: 50}, wantErr: "above"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			if tc.rateLimit != 0 {
				cfg.RateLimit = tc.rateLimit
			}
			got, err := cfg.WithShape(tc.shape)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.MinTokenBytes != tc.wantMin || got.MaxTokenBytes != tc.wantMax || got.ClientRate != tc.wantRate || got.ClientBurst != tc.wantBurst {
				t.Fatalf("min %d max %d rate %v burst %d; want %d %d %v %d", got.MinTokenBytes, got.MaxTokenBytes,
					got.ClientRate, got.ClientBurst, tc.wantMin, tc.wantMax, tc.wantRate, tc.wantBurst)
			}
			if tc.wantPattern != "" && (!got.TokenPattern.MatchString(tc.wantPattern) || got.TokenPattern.MatchString(tc.wantNo)) {
				t.Fatalf("pattern %v matches wrongly", got.TokenPattern)
			}
		})
	}
}
