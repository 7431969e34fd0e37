package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/authgate/authgate/claims"
)

// opArity gives the number of values each validator takes: exact, or -1 for
// one or more.
var opArity = map[string]int{
	"has_value": 1, "is_true": 0, "is_false": 0, "exists": 0,
	"includes": 1, "excludes": 1,
	"includes_all": -1, "excludes_all": -1, "one_of": -1,
	"starts_with": 1, "ends_with": 1, "matches": 1, "in_domain": 1,
}

// stringOps are the validators whose one operand is a string, read as
// written (never as JSON) and checked here so a bad pattern or domain is
// refused with the file and line.
var stringOps = map[string]bool{"starts_with": true, "ends_with": true, "matches": true, "in_domain": true}

// parseRequire reads the arguments of a require line:
//
//	require <claim> <op> [values…] [max_age D] [id NAME]
//	require <claim> in_domain <domain> [subdomains] [max_age D] [id NAME]
//	require permission <P> [max_age D] [id NAME]
//
// Unquoted values are read as JSON when they parse as JSON; quoted values are
// always strings, and so is the operand of starts_with, ends_with, matches
// and in_domain. max_age and id are reserved words once values end: quote a
// value that equals one.
func parseRequire(d *caddyfile.Dispenser) (RequireConfig, error) {
	var toks []caddyfile.Token
	for d.NextArg() {
		toks = append(toks, d.Token())
	}
	body, rc, err := parseRequireTail(d, toks)
	if err != nil {
		return rc, err
	}
	if len(body) >= 2 && body[0].Text == "permission" && !body[0].Quoted() {
		if _, isOp := opArity[body[1].Text]; !isOp {
			if len(body) != 2 {
				return rc, d.Err("require permission takes exactly one permission")
			}
			rc.Op = "permission"
			rc.Values = []json.RawMessage{mustJSON(body[1].Text)}
			return rc, nil
		}
	}
	if len(body) < 2 {
		return rc, d.ArgErr()
	}
	rc.Claim, rc.Op = body[0].Text, body[1].Text
	arity, ok := opArity[rc.Op]
	if !ok {
		return rc, d.Errf("unknown validator %q: want one of %s, or require permission <P>", rc.Op, strings.Join(slices.Sorted(maps.Keys(opArity)), ", "))
	}
	values := body[2:]
	if rc.Op == "in_domain" && len(values) == 2 && values[1].Text == "subdomains" && !values[1].Quoted() {
		rc.Subdomains, values = true, values[:1]
	}
	if (arity >= 0 && len(values) != arity) || (arity < 0 && len(values) == 0) {
		return rc, d.Errf("validator %s: wrong number of values", rc.Op)
	}
	if stringOps[rc.Op] {
		raw, err := stringOperand(rc.Op, values[0].Text)
		if err != nil {
			return rc, d.Errf("validator %s: %v", rc.Op, err)
		}
		rc.Values = []json.RawMessage{raw}
		return rc, nil
	}
	for _, t := range values {
		rc.Values = append(rc.Values, mustJSON(claims.ParseLiteral(t.Text, t.Quoted())))
	}
	if slices.ContainsFunc(rc.Values, loosesDigits) {
		for _, raw := range rc.Values {
			rc.ValuesText = append(rc.ValuesText, string(raw))
		}
		rc.Values = nil
	}
	return rc, nil
}

// stringOperand checks the operand of a string validator as policy will
// when it compiles it, and returns it as a JSON string.
func stringOperand(op, text string) (json.RawMessage, error) {
	switch {
	case text == "":
		return nil, errors.New("needs a non-empty value")
	case op == "matches":
		if _, err := claims.CompilePattern(text); err != nil {
			return nil, err
		}
	case op == "in_domain":
		if _, err := claims.DomainOperand(text); err != nil {
			return nil, err
		}
	}
	return mustJSON(text), nil
}

// loosesDigits reports whether raw changes when decoded with float64
// numbers and encoded again, as Caddy's adapter does with handler JSON.
func loosesDigits(raw json.RawMessage) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return true
	}
	again, err := json.Marshal(v)
	return err != nil || !bytes.Equal(again, raw)
}

// parseRequireTail strips trailing "max_age D" and "id NAME" pairs.
func parseRequireTail(d *caddyfile.Dispenser, toks []caddyfile.Token) ([]caddyfile.Token, RequireConfig, error) {
	var rc RequireConfig
	for len(toks) >= 2 {
		kw := toks[len(toks)-2]
		if kw.Quoted() || (kw.Text != "max_age" && kw.Text != "id") {
			break
		}
		arg := toks[len(toks)-1].Text
		switch kw.Text {
		case "max_age":
			if rc.MaxAge != nil {
				return nil, rc, d.Err("max_age given twice")
			}
			dur, err := caddy.ParseDuration(arg)
			if err != nil || dur < 0 {
				return nil, rc, d.Errf("bad max_age %q", arg)
			}
			cd := caddy.Duration(dur)
			rc.MaxAge = &cd
		case "id":
			if rc.ID != "" {
				return nil, rc, d.Err("id given twice")
			}
			rc.ID = arg
		}
		toks = slices.Clone(toks[:len(toks)-2])
	}
	return toks, rc, nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		// ParseLiteral only yields JSON-decoded values and strings.
		panic(err)
	}
	return b
}
