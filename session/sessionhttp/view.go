package sessionhttp

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/authgate/authgate/session"
)

// sessionView is the JSON of a session in endpoint and admin answers. It
// never includes the token or its hash.
func sessionView(s *session.Session) map[string]any {
	claims := s.Claims
	if claims == nil {
		claims = map[string]any{}
	}
	return map[string]any{
		"session_id": s.ID, "user_id": s.UserID, "claims": claims,
		"created_at":      s.Created.UTC().Format(time.RFC3339),
		"last_seen_at":    s.LastSeen.UTC().Format(time.RFC3339),
		"idle_expires_at": s.IdleExpires.UTC().Format(time.RFC3339),
		"expires_at":      s.Expires.UTC().Format(time.RFC3339),
	}
}

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
