package claimsource

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
)

// numberedSource answers the number of its call, after a delay, and
// records when each call started.
type numberedSource struct {
	delay  time.Duration
	mu     sync.Mutex
	starts []time.Time
}

func (s *numberedSource) Fetch(ctx context.Context, _ *verifier.Identity) (any, error) {
	s.mu.Lock()
	s.starts = append(s.starts, time.Now())
	n := len(s.starts)
	s.mu.Unlock()
	select {
	case <-time.After(s.delay):
		return float64(n), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *numberedSource) started(n int) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.starts[n-1]
}

// TestMaxAgeZeroJoinsOnlyAFetchStartedAfterItArrived starts one max-age-0
// refresh, then ten more while its fetch runs: none of the ten may take
// that fetch's value; they share the next one, which starts after they
// arrived. Two fetches in all.
func TestMaxAgeZeroJoinsOnlyAFetchStartedAfterItArrived(t *testing.T) {
	src := &numberedSource{delay: 150 * time.Millisecond}
	r := refresherFor(t, newFakeClock(), nil, Claim{Source: src, MaxAge: 0})
	first := make(chan any, 1)
	go func() { first <- mustRefresh(t, r, user("idp", "alice"), 0) }()
	time.Sleep(50 * time.Millisecond)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			arrived := time.Now()
			v := mustRefresh(t, r, user("idp", "alice"), 0)
			n, _ := v.(float64)
			if n < 1 || src.started(int(n)).Before(arrived) {
				t.Errorf("a max-age-0 refresh got the value of call %v, which started before it arrived", v)
			}
		})
	}
	wg.Wait()
	if v := <-first; v != float64(1) {
		t.Errorf("first refresh got %v, want call 1", v)
	}
	if got := len(src.starts); got != 2 {
		t.Errorf("11 max-age-0 refreshes made %d fetches, want 2 (the running one and the next)", got)
	}
}

// TestOneSubjectsMaxAgeZeroFloodSparesOtherUsers sends 100 concurrent
// max-age-0 refreshes of alice against a slow real HTTP source, then one of
// bob's: alice cannot take the fetch slots every user shares, so bob's
// refresh gets a slot at once and succeeds within the timeout.
func TestOneSubjectsMaxAgeZeroFloodSparesOtherUsers(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-time.After(600 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"roles":[%q]}`, strings.TrimPrefix(r.URL.Path, "/users/"))
	}))
	t.Cleanup(srv.Close)
	u, err := ParseURLTemplate(srv.URL + "/users/{sub}")
	if err != nil {
		t.Fatal(err)
	}
	src := &HTTPSource{URL: u, Path: "roles", Client: NewClient()}
	r := refresherFor(t, newFakeClock(), nil, Claim{Source: src, MaxAge: 0, Timeout: time.Second})
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() { _, _, _ = r.Refresh(context.Background(), user("idp", "alice"), "roles", 0) })
	}
	time.Sleep(50 * time.Millisecond)
	v, _, err := r.Refresh(context.Background(), user("idp", "bob"), "roles", 0)
	if err != nil {
		t.Errorf("bob's refresh failed while alice flooded: %v", err)
	} else if fmt.Sprint(v) != "[bob]" {
		t.Errorf("bob got %v", v)
	}
	wg.Wait()
	t.Logf("100 concurrent max-age-0 refreshes of one subject made %d calls", calls.Load()-1)
}
