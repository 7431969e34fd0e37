package forward

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/authgate/authgate/claims"
	"github.com/authgate/authgate/verifier"
)

// sessionField is one {session.NAME} value of the session object.
type sessionField uint8

const (
	fieldStarted sessionField = iota + 1
	fieldLastAccessed
	fieldIdleExpires
	fieldExpires
	fieldVerifier
	fieldAMR
)

// sessionFields are the {session.NAME} header placeholders besides
// {session.id}, under the names of the session object's JSON fields
// (created_at and last_seen_at are the older names of started_at and
// last_accessed_at). Times are RFC 3339 in UTC, to the second; amr is the
// methods of every factor, each once, comma-joined.
var sessionFields = map[string]sessionField{
	"started_at": fieldStarted, "created_at": fieldStarted,
	"last_accessed_at": fieldLastAccessed, "last_seen_at": fieldLastAccessed,
	"idle_expires_at": fieldIdleExpires,
	"expires_at":      fieldExpires,
	"verifier":        fieldVerifier,
	"amr":             fieldAMR,
}

// sessionFieldList names the session placeholders for error messages.
func sessionFieldList() string {
	names := append([]string{"id"}, slices.Sorted(maps.Keys(sessionFields))...)
	return "{session." + strings.Join(names, "}, {session.") + "}"
}

// renderSessionField returns the header value of field f of session s, or
// "" when the identity was not a gateway session. It allocates only here,
// for templates that name the field.
func renderSessionField(f sessionField, s verifier.SessionFacts) string {
	if s == nil {
		return ""
	}
	switch f {
	case fieldVerifier:
		return claims.EscapeHeaderString(s.Origin())
	case fieldAMR:
		var buf [8]string
		var b strings.Builder
		for i, m := range s.AppendAMR(buf[:0]) {
			if i > 0 {
				b.WriteByte(',')
			}
			// Escaped like an array element: a "," inside a method never
			// reads as two methods.
			b.WriteString(claims.EscapeHeaderString(m))
		}
		return b.String()
	}
	t := s.Times()
	switch f {
	case fieldStarted:
		return formatTime(t.Started)
	case fieldLastAccessed:
		return formatTime(t.LastAccessed)
	case fieldIdleExpires:
		return formatTime(t.IdleExpires)
	case fieldExpires:
		return formatTime(t.Expires)
	}
	return ""
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
