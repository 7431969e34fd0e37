package session

import (
	"slices"
	"time"

	"github.com/authgate/authgate/verifier"
)

// Factor is one authentication that went into a session: the token
// exchanged for it, the OIDC login that made it, or a token added to it
// later. Its JSON form is part of the stored record.
type Factor struct {
	// Verifier names the verifier whose token was exchanged, or the oidc
	// block whose login it was.
	Verifier string `json:"verifier"`
	// AMR lists the authentication methods the token reported in its "amr"
	// claim (RFC 8176), if any.
	AMR []string `json:"amr,omitempty"`
	// At is when the gateway accepted the authentication (UTC, ms).
	At time.Time `json:"at"`
}

// AuthFactors returns the session's factors, oldest first. Records
// written before factors were stored (format version 1 and older) carry
// none; for them the one factor their origin implies is returned, with no
// methods and the session's start as its time. Sessions made through the
// admin API have none. Treat the result as read-only.
func (s *Session) AuthFactors() []Factor {
	if len(s.Factors) > 0 {
		return s.Factors
	}
	if s.Provider == "" && s.Verifier == "" {
		return nil
	}
	return []Factor{{Verifier: s.Origin(), At: s.Created}}
}

// Times returns the session's times as its session object shows them
// (verifier.SessionFacts).
func (s *Session) Times() verifier.SessionTimes {
	return verifier.SessionTimes{Started: s.Created, LastAccessed: s.LastSeen, IdleExpires: s.IdleExpires, Expires: s.Expires}
}

// AppendAMR appends to dst the authentication methods of the session's
// factors, each once, in the order they were first reported.
func (s *Session) AppendAMR(dst []string) []string {
	start := len(dst)
	for _, f := range s.Factors {
		for _, m := range f.AMR {
			if !slices.Contains(dst[start:], m) {
				dst = append(dst, m)
			}
		}
	}
	return dst
}

// maxAMR bounds the methods kept from one token, so a stored record stays
// small whatever the token carries.
const maxAMR = 16

// AMRFrom returns the authentication methods in a verified token's "amr"
// claim: a JSON array of strings (RFC 8176), or one string as some
// providers send it. Other values, empty strings and duplicates are
// skipped; at most 16 methods are kept. Nil when there are none.
func AMRFrom(claims map[string]any) []string {
	var out []string
	add := func(v any) {
		if m, ok := v.(string); ok && m != "" && len(out) < maxAMR && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	switch v := claims["amr"].(type) {
	case string:
		add(v)
	case []any:
		for _, m := range v {
			add(m)
		}
	case []string:
		for _, m := range v {
			add(m)
		}
	}
	return out
}

// Interface guard: header templates read sessions through it.
var _ verifier.SessionFacts = (*Session)(nil)
