package verifier

import "unicode/utf8"

// ValidSubject reports whether sub can be a subject: non-empty, valid
// UTF-8, and free of control characters (C0, DEL, C1). A subject reaches
// headers, placeholders, logs and store keys; a CR, LF or NUL in a validly
// signed sub could split a header line upstream or turn a header
// placeholder into a 502, so such a subject is refused (reason malformed)
// wherever one is taken in.
func ValidSubject(sub string) bool {
	if sub == "" || !utf8.ValidString(sub) {
		return false
	}
	for _, r := range sub {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f {
			return false
		}
	}
	return true
}
