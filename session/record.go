package session

import (
	"encoding/json"
	"fmt"

	"github.com/authgate/authgate/internal/jsonnum"
)

// FormatVersion is the version of the stored session record this code
// writes, in the record's "fv" field; a record without "fv" is version 0
// (written before versions existed). Readers ignore fields they do not
// know, so instances of two versions can share one store during a rolling
// upgrade as long as each version only adds fields. A change an older
// reader would misread needs a new version and a new key. The binary
// records of the stores (deny-list entries, one-time markers, links) hold
// no version: their readers are not JSON and would misread an added field.
//
// Versions: 0 and 1 hold the same fields; 2 adds "factors" (a version 1
// reader ignores it, and a record it rewrites loses it: see
// Session.AuthFactors).
const FormatVersion = 2

// record is a session as stored: its own fields plus the format version.
type record struct {
	*Session
	FV int `json:"fv"`
}

// MarshalRecord encodes s as a stored record of FormatVersion.
func MarshalRecord(s *Session) ([]byte, error) {
	b, err := json.Marshal(record{Session: s, FV: FormatVersion})
	if err != nil {
		return nil, fmt.Errorf("encoding session: %w", err)
	}
	return b, nil
}

// UnmarshalRecord decodes a stored record of any version, with claim
// numbers kept exact, and returns the session and the record's version.
func UnmarshalRecord(b []byte) (*Session, int, error) {
	rec := record{Session: new(Session)}
	if err := jsonnum.Unmarshal(b, &rec); err != nil {
		return nil, 0, fmt.Errorf("decoding session: %w", err)
	}
	return rec.Session, rec.FV, nil
}
