package caddymodule

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

// provisionIntrospection builds the introspection verifiers. It runs before
// the jwt blocks, which may name them in `recheck`.
func (a *App) provisionIntrospection(caddy.Context) error {
	repl := caddy.NewReplacer()
	rechecked := map[string]bool{}
	for _, jc := range a.JWT {
		rechecked[jc.Recheck] = true
	}
	for _, ic := range a.Introspect {
		if _, dup := a.verifiers[ic.Name]; dup || ic.Name == "" {
			return fmt.Errorf("introspect verifier name %q is empty or used twice", ic.Name)
		}
		if len(ic.From) == 0 && !rechecked[ic.Name] && !a.Exchanges(ic.Name) {
			return fmt.Errorf("introspect %q: no `from` source, no jwt block rechecks with it and no session exchanges its tokens", ic.Name)
		}
		if err := a.addIntrospect(repl, ic); err != nil {
			return fmt.Errorf("introspect %q: %w", ic.Name, err)
		}
	}
	return nil
}

func (a *App) addIntrospect(repl *caddy.Replacer, ic *config.IntrospectConfig) error {
	var sources []verifier.Source
	if len(ic.From) > 0 {
		var err error
		if sources, err = sourcesOf(ic.From); err != nil {
			return err
		}
	}
	cfg, err := a.introspectConfig(repl, ic)
	if err != nil {
		return err
	}
	cfg.Observer = a.verifierObserver()
	v, err := verifier.NewIntrospectVerifier(cfg)
	if err != nil {
		return err
	}
	a.cleanups = append(a.cleanups, func() error { v.Close(); return nil })
	a.warnCustomHeaders(ic.Name, sources)
	a.addVerifier(ic.Name, &verifierEntry{other: v, sources: sources})
	return nil
}

// introspectConfig is ic in verifier's terms: placeholders expanded, and
// the defaults whose zero value means "off" to the verifier applied.
func (a *App) introspectConfig(repl *caddy.Replacer, ic *config.IntrospectConfig) (verifier.IntrospectConfig, error) {
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
		MaxTokenBytes:    a.MaxTokenBytes,
		MaxConcurrent:    ic.MaxConcurrent,
		RateLimit:        float64(ic.RateLimit),
		MaxClaims:        a.MaxClaims,
		MaxDepth:         a.MaxClaimDepth,
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
		s, err := sourceOf(*ic.Forward)
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

// rechecker returns the introspection verifier a jwt block names in
// `recheck`, or nil when it names none.
func (a *App) rechecker(jc *config.JWTConfig) (verifier.Rechecker, error) {
	if jc.Recheck == "" { // recheck_expired without it: refused by CheckBlocks
		return nil, nil
	}
	if e, ok := a.verifiers[jc.Recheck]; ok {
		if r, ok := e.other.(verifier.Rechecker); ok {
			return r, nil
		}
	}
	return nil, fmt.Errorf("recheck: unknown introspect verifier %q", jc.Recheck)
}
