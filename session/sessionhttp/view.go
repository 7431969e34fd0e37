package sessionhttp

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/authgate/authgate/session"
)

// sessionView is the JSON of a session in endpoint and admin answers. It
// never includes the token or its hash. started_at and last_accessed_at
// are Stytch's names for created_at and last_seen_at, which stay;
// verifier is the session's origin (what `verifiers` lists match).
func sessionView(s *session.Session) map[string]any {
	claims := s.Claims
	if claims == nil {
		claims = map[string]any{}
	}
	created, seen := rfc3339(s.Created), rfc3339(s.LastSeen)
	return map[string]any{
		"session_id": s.ID, "user_id": s.UserID, "claims": claims,
		"created_at": created, "started_at": created,
		"last_seen_at": seen, "last_accessed_at": seen,
		"idle_expires_at":        rfc3339(s.IdleExpires),
		"expires_at":             rfc3339(s.Expires),
		"verifier":               s.Origin(),
		"authentication_factors": factorsView(s.AuthFactors()),
	}
}

// factorsView is the JSON of a session's factors: always a list, each
// with a list of methods.
func factorsView(factors []session.Factor) []map[string]any {
	out := make([]map[string]any, 0, len(factors))
	for _, f := range factors {
		amr := f.AMR
		if amr == nil {
			amr = []string{}
		}
		out = append(out, map[string]any{"verifier": f.Verifier, "amr": amr, "at": rfc3339(f.At)})
	}
	return out
}

// rfc3339 formats t as RFC 3339 in UTC, to the second.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// writeValue writes v as a JSON response that is never cached.
func writeValue(w http.ResponseWriter, r *http.Request, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return nil
	}
	_, err = w.Write(body)
	return err
}
