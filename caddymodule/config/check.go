package config

import (
	"fmt"
	"slices"
	"strings"
)

// The rules every verifier block follows are written once, here, and
// checked twice: while the Caddyfile is parsed (errors at file:line), and
// when the app is provisioned (CheckBlocks: errors at the JSON path of the
// field at fault, for configurations written in JSON).

// blockError is a rule one block breaks: field is the JSON name of the
// field at fault ("" when it is the block as a whole), msg what is wrong,
// starting with a verb ("is required", "needs recheck").
type blockError struct{ field, msg string }

// caddyfile words it for the Caddyfile: "jwt corp: issuer is required".
func (e *blockError) caddyfile(kind, name string) string {
	if e.field == "" {
		return fmt.Sprintf("%s %s: %s", kind, name, e.msg)
	}
	return fmt.Sprintf("%s %s: %s %s", kind, name, e.field, e.msg)
}

// json words it at its JSON path: "apps.authgate.jwt[1].issuer: required".
func (e *blockError) json(kind string, i int) error {
	path := fmt.Sprintf("apps.authgate.%s[%d]", kind, i)
	if e.field == "" {
		return fmt.Errorf("%s: %s", path, e.msg)
	}
	return fmt.Errorf("%s.%s: %s", path, e.field, strings.TrimPrefix(e.msg, "is "))
}

// check returns the first rule the jwt block breaks on its own.
func (jc *JWTConfig) check() *blockError {
	switch {
	case jc.Issuer == "":
		return &blockError{"issuer", "is required (the iss its tokens carry)"}
	case len(jc.Audience) == 0:
		return &blockError{"audience", "is required (audience <aud…>, or audience any to accept every audience)"}
	case jc.RecheckExpired && jc.Recheck == "":
		return &blockError{"recheck_expired", "needs recheck (the introspect block that re-checks the expired tokens)"}
	}
	var keys []string
	for _, k := range []struct {
		name string
		set  bool
	}{{"jwks_url", jc.JWKSURL != ""}, {"key_file", len(jc.KeyFiles) > 0}, {"secret_file", jc.SecretFile != ""}} {
		if k.set {
			keys = append(keys, k.name)
		}
	}
	if len(keys) != 1 {
		given := "none is given"
		if len(keys) > 1 {
			given = strings.Join(keys, " and ") + " are given"
		}
		return &blockError{"", "exactly one of jwks_url, key_file or secret_file is required; " + given}
	}
	return nil
}

// checkRecheck returns what is wrong with the jwt block's recheck: it
// must name an introspect block (declared anywhere in the app).
func (a *App) checkRecheck(jc *JWTConfig) *blockError {
	if jc.Recheck == "" {
		return nil
	}
	names := make([]string, 0, len(a.Introspect))
	for _, ic := range a.Introspect {
		if ic.Name == jc.Recheck {
			return nil
		}
		names = append(names, ic.Name)
	}
	what := "no introspect block is declared"
	if len(names) > 0 {
		slices.Sort(names)
		what = "introspect blocks: " + strings.Join(names, ", ")
	}
	if jc.Recheck == DevVerifierName || slices.ContainsFunc(a.JWT, func(o *JWTConfig) bool { return o.Name == jc.Recheck }) {
		return &blockError{"recheck", fmt.Sprintf("names %q, a jwt verifier: recheck takes an introspect block (%s)", jc.Recheck, what)}
	}
	return &blockError{"recheck", fmt.Sprintf("names %q, which is no introspect block (%s)", jc.Recheck, what)}
}

// check returns the first rule the introspect block breaks.
func (ic *IntrospectConfig) check() *blockError {
	if ic.URL == "" {
		return &blockError{"url", "is required"}
	}
	return nil
}

// missing lists the required options the oidc block lacks, by their
// Caddyfile words and their JSON names.
func (oc *OIDCConfig) missing() (words, fields []string) {
	for _, m := range []struct {
		word, field string
		set         bool
	}{
		{"issuer", "issuer", oc.Issuer != ""},
		{"client_id", "client_id", oc.ClientID != ""},
		{"callback_url", "callback_urls", len(oc.CallbackURLs) > 0},
	} {
		if !m.set {
			words, fields = append(words, m.word), append(fields, m.field)
		}
	}
	return words, fields
}

// CheckBlocks checks the verifier blocks of a configuration as the
// Caddyfile parser does, naming the JSON path of the field at fault: a
// JSON configuration gets the same rules, and errors that say where. It
// runs first when the app is provisioned.
func (a *App) CheckBlocks() error {
	seen := map[string]string{}
	if a.Dev {
		seen[DevVerifierName] = "dev"
	}
	name := func(kind string, i int, n string) error {
		path := fmt.Sprintf("apps.authgate.%s[%d].name", kind, i)
		if n == "" {
			return fmt.Errorf("%s: required", path)
		}
		if first, dup := seen[n]; dup {
			return fmt.Errorf("%s: %q is used twice (first by %s)", path, n, first)
		}
		seen[n] = fmt.Sprintf("%s[%d]", kind, i)
		return nil
	}
	for i, jc := range a.JWT {
		if err := name("jwt", i, jc.Name); err != nil {
			return err
		}
		if e := jc.check(); e != nil {
			return e.json("jwt", i)
		}
		if e := a.checkRecheck(jc); e != nil {
			return e.json("jwt", i)
		}
	}
	for i, ic := range a.Introspect {
		if err := name("introspect", i, ic.Name); err != nil {
			return err
		}
		if e := ic.check(); e != nil {
			return e.json("introspect", i)
		}
	}
	for i, oc := range a.OIDC {
		if oc.Name == "" {
			return fmt.Errorf("apps.authgate.oidc[%d].name: required", i)
		}
		if _, fields := oc.missing(); len(fields) > 0 {
			return fmt.Errorf("apps.authgate.oidc[%d].%s: required (oidc %s: missing %s)", i, fields[0], oc.Name, strings.Join(fields, ", "))
		}
	}
	return nil
}

// checkRechecks runs at the end of the Caddyfile's authgate block, once
// every introspect block is known: a recheck naming anything else is an
// error at its own line.
func (a *App) checkRechecks() error {
	for _, jc := range a.JWT {
		if e := a.checkRecheck(jc); e != nil {
			return errAt(jc.recheckAt, "%s", e.caddyfile("jwt", jc.Name))
		}
	}
	return nil
}
