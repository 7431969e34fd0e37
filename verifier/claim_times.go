package verifier

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/authgate/authgate/internal/jsonnum"
)

// CapClaimTimes returns claims with the fetch time "t" of every
// SuperTokens-shaped value {"v": V, "t": unixMillis}, at any depth (inside
// objects, arrays and other such values), capped at issued: a value can
// never look fresher than the token that carried it, and a "t" in the
// future counts as the token's iat. Token claims are taken in through it
// wherever they are (JWT verification, exchange into a session, OIDC
// login), so a nested realm_access.roles whose "t" is far in the future
// ages with its token. claims is not modified: the maps and arrays on the
// way to a capped value are copied, the rest is shared. A zero issued
// leaves claims as they are.
func CapClaimTimes(claims map[string]any, issued time.Time) map[string]any {
	if issued.IsZero() {
		return claims
	}
	ms := issued.UnixMilli()
	if out, changed := capObject(claims, ms); changed {
		return out
	}
	return claims
}

func capValue(v any, ms int64) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		if t, ok := claimTime(x); ok && t > float64(ms) {
			inner, _ := capValue(x["v"], ms)
			return map[string]any{"v": inner, "t": json.Number(strconv.FormatInt(ms, 10))}, true
		}
		return capObject(x, ms)
	case []any:
		return capArray(x, ms)
	}
	return v, false
}

func capObject(m map[string]any, ms int64) (map[string]any, bool) {
	var out map[string]any
	for k, v := range m {
		nv, changed := capValue(v, ms)
		if !changed {
			continue
		}
		if out == nil {
			out = make(map[string]any, len(m))
			for k2, v2 := range m {
				out[k2] = v2
			}
		}
		out[k] = nv
	}
	if out == nil {
		return m, false
	}
	return out, true
}

func capArray(a []any, ms int64) ([]any, bool) {
	var out []any
	for i, v := range a {
		nv, changed := capValue(v, ms)
		if !changed {
			continue
		}
		if out == nil {
			out = append([]any(nil), a...)
		}
		out[i] = nv
	}
	if out == nil {
		return a, false
	}
	return out, true
}

// claimTime returns the "t" of a SuperTokens-shaped value: an object with
// exactly the keys "v" and "t", t a number. Values with a t that is not a
// number are not that shape and are left alone, as policy reads them.
func claimTime(m map[string]any) (float64, bool) {
	if len(m) != 2 {
		return 0, false
	}
	if _, ok := m["v"]; !ok {
		return 0, false
	}
	t, ok := jsonnum.Float(m["t"])
	return t, ok && t == t
}
