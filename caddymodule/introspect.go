package caddymodule

import (
	"fmt"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/caddymodule/build"
	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/verifier"
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
		if sources, err = build.Sources(ic.From); err != nil {
			return err
		}
	}
	cfg, err := build.Introspect(repl, &a.App, ic)
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
