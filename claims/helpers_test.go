package claims

import (
	"encoding/json"
	"testing"
)

// claimsJSON decodes a claims document the way a verifier does.
func claimsJSON(t *testing.T, doc string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatalf("decoding claims %s: %v", doc, err)
	}
	return m
}
