package build

import (
	"errors"
	"fmt"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/verifier"
)

// Defaults of config.IntrospectConfig that the verifier package cannot apply
// itself, because 0 means "off" there.
const (
	defaultIntrospectCacheTTL    = 30 * time.Second
	defaultIntrospectNegativeTTL = 5 * time.Second
)

// Introspect is ic in verifier's terms: placeholders expanded, the app's
// limits on tokens and claims, and the defaults whose zero value means
// "off" to the verifier applied.
func Introspect(repl *caddy.Replacer, app *config.App, ic *config.IntrospectConfig) (verifier.IntrospectConfig, error) {
	cfg := verifier.IntrospectConfig{
		Name:             ic.Name,
		URL:              repl.ReplaceKnown(ic.URL, ""),
		Mode:             verifier.IntrospectMode(ic.Mode),
		Method:           ic.Method,
		TokenField:       ic.TokenField,
		InactiveStatus:   ic.InactiveStatus,
		SubjectPath:      ic.SubjectPath,
		SubjectTemplate:  ic.SubjectTemplate,
		ClaimsPath:       ic.ClaimsPath,
		ExpiresPath:      ic.ExpiresPath,
		IssuedAtPath:     ic.IssuedAtPath,
		ClientID:         repl.ReplaceKnown(ic.ClientID, ""),
		ClientSecret:     repl.ReplaceKnown(ic.ClientSecret, ""),
		CacheTTL:         durationOr(ic.CacheTTL, defaultIntrospectCacheTTL),
		NegativeCacheTTL: durationOr(ic.NegativeCacheTTL, defaultIntrospectNegativeTTL),
		CacheBytes:       ic.CacheBytes,
		Timeout:          time.Duration(ic.Timeout),
		MaxBodyBytes:     ic.MaxBodyBytes,
		MaxTokenBytes:    app.MaxTokenBytes,
		MaxConcurrent:    ic.MaxConcurrent,
		RateLimit:        float64(ic.RateLimit),
		MaxClaims:        app.MaxClaims,
		MaxDepth:         app.MaxClaimDepth,
		AllowBoundTokens: ic.AllowBoundTokens,
	}
	if ic.ClientSecret != "" && cfg.ClientSecret == "" {
		// {file.*} and {env.*} expand to "" when the file or variable is
		// missing: calling without the secret would only fail later, as 503s.
		return cfg, errors.New("client_secret is empty once expanded (missing file or variable?)")
	}
	cfg, err := cfg.WithShape(verifier.CredentialShape{Pattern: ic.TokenPattern, MinBytes: ic.MinTokenBytes,
		MaxBytes: ic.MaxTokenBytes, ClientRate: ic.ClientRateLimit, ClientBurst: ic.ClientBurst})
	if err != nil {
		return cfg, err
	}
	if ic.Forward != nil {
		s, err := Source(*ic.Forward)
		if err != nil {
			return cfg, fmt.Errorf("forward: %w", err)
		}
		cfg.Forward = &s
	}
	return cfg, nil
}

func durationOr(d *caddy.Duration, def time.Duration) time.Duration {
	if d == nil {
		return def
	}
	return time.Duration(*d)
}
