package session_test

import (
	"context"
	"sync"
	"time"

	"github.com/authgate/authgate/verifier/session"
)

// mapStore is a minimal in-memory store for benchmarks and Manager tests;
// the real stores are tested by storetest.
type mapStore struct {
	mu   sync.Mutex
	byID map[string]*session.Session
	once map[string]bool
	deny map[string]session.Denial
	// touches counts Touch calls.
	touches int
}

func newMapStore() *mapStore {
	return &mapStore{byID: map[string]*session.Session{}, once: map[string]bool{}, deny: map[string]session.Denial{}}
}

func (s *mapStore) Create(_ context.Context, ses *session.Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byID[ses.ID] = ses.Clone()
	return nil
}

func (s *mapStore) ByToken(_ context.Context, h session.Hash) (*session.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ses := range s.byID {
		if ses.TokenHash == h {
			return ses.Clone(), nil
		}
	}
	return nil, session.ErrNotFound
}

func (s *mapStore) ByID(_ context.Context, id string) (*session.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ses, ok := s.byID[id]; ok {
		return ses.Clone(), nil
	}
	return nil, session.ErrNotFound
}

func (s *mapStore) ByUser(_ context.Context, user string) ([]*session.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*session.Session
	for _, ses := range s.byID {
		if ses.UserID == user {
			out = append(out, ses.Clone())
		}
	}
	sortByCreated(out)
	return out, nil
}

func (s *mapStore) Touch(_ context.Context, id string, ls, ie, pa time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ses, ok := s.byID[id]
	if !ok {
		return session.ErrNotFound
	}
	s.touches++
	ses.LastSeen, ses.IdleExpires, ses.PurgeAt = ls, ie, pa
	return nil
}

func (s *mapStore) SetClaim(_ context.Context, id, name string, v any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ses, ok := s.byID[id]
	if !ok {
		return session.ErrNotFound
	}
	ses.Claims = cloneClaims(ses.Claims)
	ses.Claims[name] = v
	return nil
}

func (s *mapStore) Delete(_ context.Context, id string) (*session.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ses, ok := s.byID[id]
	if !ok {
		return nil, session.ErrNotFound
	}
	delete(s.byID, id)
	return ses, nil
}

func (s *mapStore) DeleteUser(ctx context.Context, user string) ([]*session.Session, error) {
	all, _ := s.ByUser(ctx, user)
	for _, ses := range all {
		_, _ = s.Delete(ctx, ses.ID)
	}
	return all, nil
}

func (s *mapStore) Deny(_ context.Context, d session.Denial) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny[d.JTI+"\\x00"+d.Subject] = d
	return nil
}

func (s *mapStore) Denied(_ context.Context, jti, sub string) (session.DenyState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st session.DenyState
	_, st.JTI = s.deny[jti+"\\x00"]
	if d, ok := s.deny["\\x00"+sub]; ok && sub != "" {
		st.SubjectBefore = d.At
	}
	st.JTI = st.JTI && jti != ""
	return st, nil
}

func (s *mapStore) Once(_ context.Context, key string, _ time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	first := !s.once[key]
	s.once[key] = true
	return first, nil
}

func (s *mapStore) Close() error { return nil }

func cloneClaims(c map[string]any) map[string]any {
	out := make(map[string]any, len(c)+1)
	for k, v := range c {
		out[k] = v
	}
	return out
}

func sortByCreated(ss []*session.Session) {
	for i := 1; i < len(ss); i++ {
		for j := i; j > 0 && ss[j].Created.Before(ss[j-1].Created); j-- {
			ss[j], ss[j-1] = ss[j-1], ss[j]
		}
	}
}
