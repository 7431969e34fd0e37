package verifier

import "unsafe"

// Rough per-value overheads, in bytes, of Go's representation of decoded
// JSON. The cache needs a cost proportional to memory, not an exact count.
const (
	identityOverhead = int64(unsafe.Sizeof(Identity{})) + 64
	entryOverhead    = 48 // map bucket share plus the interface value
	stringOverhead   = 16
)

// identityCost estimates the bytes an identity holds, so the cache's max
// cost is a memory bound.
func identityCost(id *Identity) int64 {
	n := identityOverhead + int64(len(id.Verifier)+len(id.Subject)+len(id.Issuer)+len(id.TokenID)+len(id.SessionID))
	for _, a := range id.Audience {
		n += stringOverhead + int64(len(a))
	}
	return n + valueCost(id.Claims)
}

// valueCost walks a decoded JSON value. Claim trees are bounded by the
// verifier's limits, so the walk is too.
func valueCost(v any) int64 {
	switch x := v.(type) {
	case string:
		return stringOverhead + int64(len(x))
	case map[string]any:
		n := int64(entryOverhead)
		for k, e := range x {
			n += entryOverhead + int64(len(k)) + valueCost(e)
		}
		return n
	case []any:
		n := int64(24)
		for _, e := range x {
			n += stringOverhead + valueCost(e)
		}
		return n
	}
	return 8
}
