package policy

import (
	"encoding/json"
	"testing"

	"github.com/authgate/authgate/claims"
)

func TestHasValueWithBigIntegers(t *testing.T) {
	v := &validator{op: OpHasValue, expected: claims.ParseLiteral("1234567890123456789", false)}
	if v.holds(json.Number("1234567890123456700")) {
		t.Fatal("1234567890123456700 passes has_value 1234567890123456789")
	}
	if !v.holds(json.Number("1234567890123456789")) {
		t.Fatal("the exact number fails")
	}
	in := &validator{op: OpIncludes, values: []any{claims.ParseLiteral("1234567890123456789", false)}}
	if in.holds([]any{json.Number("1234567890123456700")}) || !in.holds([]any{json.Number("1234567890123456789")}) {
		t.Fatal("includes compares big integers inexactly")
	}
}
