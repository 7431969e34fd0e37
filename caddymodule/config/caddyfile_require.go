package config

import (
	"bytes"
	"encoding/json"
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
}

// parseRequire reads the arguments of a require line:
//
//	require <claim> <op> [values…] [max_age D] [id NAME]
//	require permission <P> [max_age D] [id NAME]
//
// Unquoted values are read as JSON when they parse as JSON; quoted values are
// always strings. max_age and id are reserved words once values end: quote a
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
	if (arity >= 0 && len(values) != arity) || (arity < 0 && len(values) == 0) {
		return rc, d.Errf("validator %s: wrong number of values", rc.Op)
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
