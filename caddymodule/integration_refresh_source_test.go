package caddymodule

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// userService is the claim source of the claim refresh stories: a local
// HTTP service answering GET /v1/users/{sub}/{claim} with
// {"roles": […], "groups": […]}. Subjects whose name starts with a
// behaviour prefix misbehave that way (down-, slow-, huge-, drip-, text-,
// deep-, string-), so one gateway can meet every kind of source.
type userService struct {
	*httptest.Server
	mu     sync.Mutex
	roles  map[string][]string // subject → roles; default ["user"]
	down   map[string]bool     // subjects answered with 503
	calls  map[string]int      // "claim:subject" → calls
	seen   []string            // escaped request paths, in order
	groups []string            // everyone's groups
}

func newUserService(t *testing.T) *userService {
	t.Helper()
	s := &userService{roles: map[string][]string{}, down: map[string]bool{}, calls: map[string]int{},
		groups: []string{"staff"}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *userService) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/v1/users/")
	segment, claim, _ := strings.Cut(rest, "/")
	sub, err := url.PathUnescape(segment)
	if !ok || err != nil || strings.Contains(claim, "/") {
		http.Error(w, "bad path", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.calls[claim+":"+sub]++
	s.seen = append(s.seen, r.URL.EscapedPath())
	roles, known := s.roles[sub]
	down := s.down[sub]
	groups := s.groups
	s.mu.Unlock()
	if !known {
		roles = []string{"user"}
	}
	if down || strings.HasPrefix(sub, "down-") {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
		return
	}
	if s.misbehave(w, r, sub) {
		return
	}
	if strings.HasPrefix(sub, "slowish-") {
		time.Sleep(200 * time.Millisecond) // long enough for requests to pile up
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"roles": roles, "groups": groups})
}

// misbehave answers for hostile subjects and reports whether it did.
func (s *userService) misbehave(w http.ResponseWriter, r *http.Request, sub string) bool {
	kind, _, _ := strings.Cut(sub, "-")
	switch kind {
	case "slow": // never answers; the gateway's timeout must end it
		<-r.Context().Done()
	case "huge": // a body far over the cap
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"roles":["` + strings.Repeat("a", 4<<20) + `"]}`))
	case "drip": // a body that never ends, a few bytes at a time
		_, _ = w.Write([]byte(`{"roles":[`))
		for {
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return true
			case <-time.After(20 * time.Millisecond):
				_, _ = w.Write([]byte(`"user",`))
			}
		}
	case "text": // not JSON
		_, _ = w.Write([]byte("<html>admin</html>"))
	case "deep": // nested past the depth cap
		_, _ = w.Write([]byte(`{"roles":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `}`))
	case "string": // the wrong JSON type at the path
		_, _ = w.Write([]byte(`{"roles":"admin","groups":"staff"}`))
	default:
		return false
	}
	return true
}

// setRoles changes what the service answers for sub.
func (s *userService) setRoles(sub string, roles ...string) {
	s.mu.Lock()
	s.roles[sub] = roles
	s.mu.Unlock()
}

// setDown makes the service fail (503) for sub, or recover.
func (s *userService) setDown(sub string, down bool) {
	s.mu.Lock()
	s.down[sub] = down
	s.mu.Unlock()
}

// callsFor returns how often claim was fetched for sub.
func (s *userService) callsFor(claim, sub string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[claim+":"+sub]
}

// requests returns how many requests the service received.
func (s *userService) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

// lastPath returns the escaped path of the latest request.
func (s *userService) lastPath() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.seen) == 0 {
		return ""
	}
	return s.seen[len(s.seen)-1]
}
