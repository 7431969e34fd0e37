package verifier

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestCapClaimTimesCapsEveryDepth(t *testing.T) {
	iat := time.UnixMilli(1_700_000_000_000)
	cap := json.Number("1700000000000")
	in := map[string]any{
		"top":          map[string]any{"v": "x", "t": json.Number("999999999999999")},
		"realm_access": map[string]any{"roles": map[string]any{"v": []any{"admin"}, "t": json.Number("999999999999999")}},
		"list":         []any{map[string]any{"v": true, "t": 1e14}},
		"old":          map[string]any{"v": 1, "t": json.Number("5")},
		"plain":        "s",
	}
	got := CapClaimTimes(in, iat)
	want := map[string]any{
		"top":          map[string]any{"v": "x", "t": cap},
		"realm_access": map[string]any{"roles": map[string]any{"v": []any{"admin"}, "t": cap}},
		"list":         []any{map[string]any{"v": true, "t": cap}},
		"old":          map[string]any{"v": 1, "t": json.Number("5")},
		"plain":        "s",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
	if in["realm_access"].(map[string]any)["roles"].(map[string]any)["t"] != json.Number("999999999999999") {
		t.Fatal("the input was modified")
	}
	if same := CapClaimTimes(want, iat); !reflect.DeepEqual(same, want) {
		t.Fatal("capping capped claims changed them")
	}
}

func TestValidSubject(t *testing.T) {
	for sub, want := range map[string]bool{
		"alice": true, "cn=a,dc=b": true, "José": true, "a%00": true,
		"": false, "a\r\nX: y": false, "a\x00": false, "a\x7f": false, "a\u0085": false, "a\tb": false, "a\xff": false,
	} {
		if got := ValidSubject(sub); got != want {
			t.Errorf("ValidSubject(%q) = %v; want %v", sub, got, want)
		}
	}
}
