package session_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authgate/authgate/session"
)

// watchingStore is a mapStore that is also a Watcher and a LossReporter.
type watchingStore struct {
	*mapStore
	watched []func(session.Event)
	lost    time.Time
}

func (w *watchingStore) Watch(_ context.Context, fn func(session.Event)) {
	w.watched = append(w.watched, fn)
}
func (w *watchingStore) LostAt() time.Time { return w.lost }

func TestDeferredAnswersNotOpenUntilBound(t *testing.T) {
	ctx := context.Background()
	d := new(session.Deferred)
	m, err := session.NewManager(session.Config{Store: d, CacheTTL: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, _, err := m.Create(ctx, session.NewSession{UserID: "u"}); !errors.Is(err, session.ErrStoreNotOpen) {
		t.Fatalf("Create before Bind: %v, want session.ErrStoreNotOpen", err)
	}
	tok, _ := session.NewToken()
	if _, err := m.Authenticate(ctx, tok, ""); err == nil {
		t.Fatal("Authenticate before Bind succeeded")
	}
	if !d.LostAt().IsZero() || d.Bound() {
		t.Fatal("an unbound store reports a loss or is bound")
	}

	backend := &watchingStore{mapStore: newMapStore(), lost: time.Unix(5, 0)}
	if !d.Bind(backend) || d.Bind(newMapStore()) {
		t.Fatal("Bind: want true once, then false")
	}
	if len(backend.watched) != 1 {
		t.Fatalf("the manager's Watch reached the backend %d times, want 1", len(backend.watched))
	}
	if !m.LostAt().Equal(backend.lost) {
		t.Fatalf("LostAt %v, want the backend's", m.LostAt())
	}
	tok, s, err := m.Create(ctx, session.NewSession{UserID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := backend.ByID(ctx, s.ID); err != nil || got.UserID != "u" {
		t.Fatalf("the backend holds %v, %v", got, err)
	}
	if got, err := m.Authenticate(ctx, tok, ""); err != nil || got.ID != s.ID {
		t.Fatalf("Authenticate after Bind: %v, %v", got, err)
	}
}

func TestDeferredWaitsForBind(t *testing.T) {
	d := &session.Deferred{Wait: 10 * time.Second}
	got := make(chan error)
	go func() {
		_, err := d.ByID(context.Background(), "ses_x")
		got <- err
	}()
	time.Sleep(20 * time.Millisecond)
	d.Bind(newMapStore())
	if err := <-got; !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("a call made before Bind: %v, want the backend's ErrNotFound", err)
	}
	short := &session.Deferred{Wait: 10 * time.Millisecond}
	if _, err := short.ByID(context.Background(), "ses_x"); !errors.Is(err, session.ErrStoreNotOpen) {
		t.Fatalf("unbound after Wait: %v, want ErrStoreNotOpen", err)
	}
}
