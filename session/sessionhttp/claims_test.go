package sessionhttp

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestExchangedClaimTimesNeverPassTheTokensIat(t *testing.T) {
	iat := time.UnixMilli(1_700_000_000_000)
	in := map[string]any{
		"sub":    "alice",
		"email":  "a@example.com",
		"future": map[string]any{"v": []any{"admin"}, "t": float64(iat.Add(time.Hour).UnixMilli())},
		"older":  map[string]any{"v": true, "t": float64(iat.Add(-time.Hour).UnixMilli())},
	}
	got := customClaims(in, iat)
	want := map[string]any{
		"email":  "a@example.com",
		"future": map[string]any{"v": []any{"admin"}, "t": json.Number("1700000000000")},
		"older":  map[string]any{"v": true, "t": float64(iat.Add(-time.Hour).UnixMilli())},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("customClaims = %v\nwant %v", got, want)
	}
}
