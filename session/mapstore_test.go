package session_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/jsonnum"
	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/session/sessiontest"
)

// mapStore is a minimal in-memory store for benchmarks and Manager tests.
// It passes the same conformance suite as the real stores, so Manager
// tests see the semantics they will meet in production. Expiry follows the
// real clock, as in the real stores.
type mapStore struct {
	mu    sync.Mutex
	byID  map[string]*session.Session
	once  map[string]time.Time
	deny  map[string]session.Denial
	links map[string]link
	// touches counts Touch calls.
	touches int
}

type link struct {
	value string
	until time.Time
}

func newMapStore() *mapStore {
	return &mapStore{
		byID: map[string]*session.Session{}, once: map[string]time.Time{},
		deny: map[string]session.Denial{}, links: map[string]link{},
	}
}

func TestMapStoreConforms(t *testing.T) {
	sessiontest.Run(t, func(*testing.T) session.Store { return newMapStore() })
}

// get returns the stored session of id unless it is past its purge time;
// the caller holds mu.
func (s *mapStore) get(id string) (*session.Session, bool) {
	ses, ok := s.byID[id]
	if !ok || !time.Now().Before(ses.PurgeAt) {
		return nil, false
	}
	return ses, true
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
	for id, ses := range s.byID {
		if ses.TokenHash == h {
			if ses, ok := s.get(id); ok {
				return ses.Clone(), nil
			}
		}
	}
	return nil, session.ErrNotFound
}

func (s *mapStore) ByID(_ context.Context, id string) (*session.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ses, ok := s.get(id); ok {
		return ses.Clone(), nil
	}
	return nil, session.ErrNotFound
}

func (s *mapStore) ByUser(_ context.Context, user string) ([]*session.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*session.Session
	for id := range s.byID {
		if ses, ok := s.get(id); ok && ses.UserID == user {
			out = append(out, ses.Clone())
		}
	}
	sortByCreated(out)
	return out, nil
}

func (s *mapStore) Touch(_ context.Context, id string, ls, ie, pa time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ses, ok := s.get(id)
	if !ok {
		return session.ErrNotFound
	}
	s.touches++
	ses.LastSeen, ses.IdleExpires, ses.PurgeAt = ls, ie, pa
	return nil
}

func (s *mapStore) SetClaim(_ context.Context, id, name string, value any) error {
	// Stored as JSON, like the real stores: numbers come back as float64.
	raw, err := json.Marshal(value)
	if err != nil {
		return err
	}
	var v any
	if err := jsonnum.Unmarshal(raw, &v); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ses, ok := s.get(id)
	if !ok {
		return session.ErrNotFound
	}
	ses.Claims = cloneClaims(ses.Claims)
	ses.Claims[name] = v
	return nil
}

func (s *mapStore) DeleteClaim(_ context.Context, id, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ses, ok := s.get(id)
	if !ok {
		return session.ErrNotFound
	}
	if _, ok := ses.Claims[name]; !ok {
		return session.ErrNoClaim
	}
	ses.Claims = cloneClaims(ses.Claims)
	delete(ses.Claims, name)
	return nil
}

func (s *mapStore) Delete(_ context.Context, id string) (*session.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ses, ok := s.get(id)
	delete(s.byID, id)
	if !ok {
		return nil, session.ErrNotFound
	}
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
	key := d.JTI + "\x00" + d.Subject + "\x00" + d.Token
	if old, ok := s.deny[key]; ok {
		// Entries keep the latest revocation time and the latest expiry.
		d.At, d.Until = later(old.At, d.At), later(old.Until, d.Until)
	}
	s.deny[key] = d
	return nil
}

func (s *mapStore) Denied(_ context.Context, q session.DenyQuery) (session.DenyState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st session.DenyState
	now := time.Now()
	if d, ok := s.deny[q.JTI+"\x00\x00"]; ok && q.JTI != "" && now.Before(d.Until) {
		st.JTI = true
	}
	if d, ok := s.deny["\x00\x00"+q.Token]; ok && q.Token != "" && now.Before(d.Until) {
		st.Token = true
	}
	if d, ok := s.deny["\x00"+q.Subject+"\x00"]; ok && q.Subject != "" && now.Before(d.Until) {
		st.SubjectBefore = d.At
	}
	return st, nil
}

func (s *mapStore) Once(_ context.Context, key string, until time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Now().Before(s.once[key]) {
		return false, nil
	}
	s.once[key] = until
	return true, nil
}

func (s *mapStore) Link(_ context.Context, key, value string, until time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.links[key] = link{value, until}
	return nil
}

func (s *mapStore) Linked(_ context.Context, key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.links[key]
	if !ok || !time.Now().Before(l.until) {
		return "", session.ErrNotFound
	}
	return l.value, nil
}

func (s *mapStore) Close() error { return nil }

func cloneClaims(c map[string]any) map[string]any {
	out := make(map[string]any, len(c)+1)
	for k, v := range c {
		out[k] = v
	}
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func sortByCreated(ss []*session.Session) {
	for i := 1; i < len(ss); i++ {
		for j := i; j > 0 && ss[j].Created.Before(ss[j-1].Created); j-- {
			ss[j], ss[j-1] = ss[j-1], ss[j]
		}
	}
}
