package verifier_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
)

// step is one verification at a point on the test clock and the total
// number of calls the session service must have seen after it.
type step struct {
	advance   time.Duration
	wantCalls int64
}

func TestIntrospectionCacheByCallCounts(t *testing.T) {
	cases := []struct {
		name       string
		cacheTTL   time.Duration
		negTTL     time.Duration
		expiresIn  time.Duration // the session's reported expiry, from the start
		inactive   bool
		failing    bool
		wantReason verifier.Reason
		steps      []step
	}{
		{name: "an active answer is reused for cache_ttl", cacheTTL: 30 * time.Second, expiresIn: time.Hour,
			steps: []step{{0, 1}, {10 * time.Second, 1}, {19 * time.Second, 1}, {2 * time.Second, 2}, {29 * time.Second, 2}}},
		{name: "cache_ttl 0 asks every time", expiresIn: time.Hour,
			steps: []step{{0, 1}, {0, 2}, {time.Second, 3}}},
		{name: "the cache never outlives the reported expiry", cacheTTL: time.Minute, negTTL: 5 * time.Second, expiresIn: 10 * time.Second, wantReason: verifier.ReasonInactive,
			steps: []step{{0, 1}, {9 * time.Second, 1}, {2 * time.Second, 2}, {time.Second, 2}}},
		{name: "an inactive answer is reused for negative_cache_ttl", negTTL: 5 * time.Second, inactive: true, wantReason: verifier.ReasonInactive,
			steps: []step{{0, 1}, {4 * time.Second, 1}, {2 * time.Second, 2}}},
		{name: "negative_cache_ttl 0 never caches an inactive answer", cacheTTL: time.Minute, inactive: true, wantReason: verifier.ReasonInactive,
			steps: []step{{0, 1}, {0, 2}, {0, 3}}},
		{name: "failures are never cached", cacheTTL: time.Minute, negTTL: time.Minute, failing: true, wantReason: verifier.ReasonIntrospectionUnavailable,
			steps: []step{{0, 1}, {0, 2}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			reply := answer(200, stytchSession("u", c.Now().Add(tc.expiresIn)))
			switch {
			case tc.inactive:
				reply = answer(401, nil)
			case tc.failing:
				reply = answer(502, nil)
			}
			svc := newSessionService(t, reply)
			cfg := stytchConfig(svc.URL, c)
			cfg.CacheTTL, cfg.NegativeCacheTTL = tc.cacheTTL, tc.negTTL
			v := newIntrospect(t, cfg)
			for i, s := range tc.steps {
				c.advance(s.advance)
				_, err := v.Verify(context.Background(), cookieCred("session_token", "tok"))
				if tc.wantReason == "" && err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if got := svc.calls.Load(); got != s.wantCalls {
					t.Fatalf("step %d: %d calls, want %d", i, got, s.wantCalls)
				}
			}
			if tc.wantReason != "" {
				_, err := v.Verify(context.Background(), cookieCred("session_token", "tok"))
				wantReason(t, err, tc.wantReason)
			}
		})
	}
}

func TestTwoTokensAreCachedApart(t *testing.T) {
	c := newClock()
	var svc *sessionService
	svc = newSessionService(t, func(w http.ResponseWriter, r *http.Request) {
		answer(200, map[string]any{"sub": "user-of-" + svc.last().json["session_token"]})(w, r)
	})
	cfg := stytchConfig(svc.URL, c)
	cfg.SubjectPath, cfg.ClaimsPath, cfg.ExpiresPath = "sub", "", ""
	v := newIntrospect(t, cfg)
	for _, tok := range []string{"a", "b", "a", "b"} {
		id, err := v.Verify(context.Background(), cookieCred("s", tok))
		if err != nil || id.Subject != "user-of-"+tok {
			t.Fatalf("token %s: %v %v", tok, id, err)
		}
	}
	if n := svc.calls.Load(); n != 2 {
		t.Fatalf("%d calls, want 2", n)
	}
}

func TestConcurrentChecksOfOneTokenMakeOneCall(t *testing.T) {
	c := newClock()
	release := make(chan struct{})
	svc := newSessionService(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		answer(200, stytchSession("u", c.Now().Add(time.Hour)))(w, r)
	})
	v := newIntrospect(t, stytchConfig(svc.URL, c))
	const n = 50
	var started, done sync.WaitGroup
	errs := make(chan error, n)
	started.Add(n)
	done.Add(n)
	for range n {
		go func() {
			defer done.Done()
			started.Done()
			id, err := v.Verify(context.Background(), cookieCred("session_token", "same"))
			if err == nil && id.Subject != "u" {
				err = errors.New("wrong subject " + id.Subject)
			}
			errs <- err
		}()
	}
	started.Wait()
	eventually(t, 2*time.Second, func() bool { return svc.calls.Load() >= 1 })
	time.Sleep(50 * time.Millisecond) // let stragglers join the flight
	close(release)
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := svc.calls.Load(); got != 1 {
		t.Fatalf("%d goroutines made %d calls, want 1", n, got)
	}
	t.Logf("%d concurrent checks of one token: %d remote call", n, svc.calls.Load())
}

func TestAGoneCallerDoesNotFailTheFlight(t *testing.T) {
	c := newClock()
	release := make(chan struct{})
	svc := newSessionService(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		answer(200, stytchSession("u", c.Now().Add(time.Hour)))(w, r)
	})
	v := newIntrospect(t, stytchConfig(svc.URL, c))
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { _, err := v.Verify(ctx, cookieCred("s", "tok")); first <- err }()
	eventually(t, 2*time.Second, func() bool { return svc.calls.Load() == 1 })
	second := make(chan error, 1)
	go func() { _, err := v.Verify(context.Background(), cookieCred("s", "tok")); second <- err }()
	cancel()
	wantReason(t, <-first, verifier.ReasonIntrospectionUnavailable)
	close(release)
	if err := <-second; err != nil {
		t.Fatalf("the waiting request failed with its peer: %v", err)
	}
	if n := svc.calls.Load(); n != 1 {
		t.Fatalf("%d calls, want 1", n)
	}
}

func TestSlowOrDownEndpointsAreUnavailable(t *testing.T) {
	c := newClock()
	slow := newSessionService(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	down := newSessionService(t, answer(200, nil))
	down.Close()
	for _, tc := range []struct{ name, url string }{{"a slow endpoint times out", slow.URL}, {"a closed endpoint", down.URL}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := stytchConfig(tc.url, c)
			cfg.Timeout = 150 * time.Millisecond
			v := newIntrospect(t, cfg)
			start := time.Now()
			_, err := v.Verify(context.Background(), cookieCred("s", "tok"))
			wantReason(t, err, verifier.ReasonIntrospectionUnavailable)
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("took %v; the timeout is 150ms", d)
			}
		})
	}
}

func TestRetryAfterIsPassedOn(t *testing.T) {
	svc := newSessionService(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	v := newIntrospect(t, stytchConfig(svc.URL, newClock()))
	_, err := v.Verify(context.Background(), cookieCred("s", "tok"))
	var un *verifier.UnavailableError
	if !errors.As(err, &un) || un.RetryAfter != 7*time.Second {
		t.Fatalf("err = %v, want unavailable with Retry-After 7s", err)
	}
}

func TestOutboundCallsAreCapped(t *testing.T) {
	c := newClock()
	t.Run("no more than max_concurrent calls are in flight", func(t *testing.T) {
		var mu sync.Mutex
		inflight, peak := 0, 0
		svc := newSessionService(t, func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			inflight++
			peak = max(peak, inflight)
			mu.Unlock()
			time.Sleep(30 * time.Millisecond)
			mu.Lock()
			inflight--
			mu.Unlock()
			answer(200, stytchSession("u", c.Now().Add(time.Hour)))(w, r)
		})
		cfg := stytchConfig(svc.URL, c)
		cfg.MaxConcurrent = 2
		v := newIntrospect(t, cfg)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				if _, err := v.Verify(context.Background(), cookieCred("s", "tok-"+string(rune('a'+i)))); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if svc.calls.Load() != 8 || peak != 2 {
			t.Fatalf("%d calls with at most %d at once, want 8 with at most 2", svc.calls.Load(), peak)
		}
	})
	t.Run("calls over the rate limit are refused at once", func(t *testing.T) {
		fast := newSessionService(t, answer(200, stytchSession("u", c.Now().Add(time.Hour))))
		cfg := stytchConfig(fast.URL, c)
		cfg.RateLimit, cfg.Timeout = 2, 100*time.Millisecond
		v := newIntrospect(t, cfg)
		var unavailable int
		for _, tok := range []string{"a", "b", "c", "d"} {
			if _, err := v.Verify(context.Background(), cookieCred("s", tok)); verifier.ReasonOf(err) == verifier.ReasonIntrospectionUnavailable {
				unavailable++
			}
		}
		if n := fast.calls.Load(); n != 2 || unavailable != 2 {
			t.Fatalf("%d calls and %d refusals, want 2 and 2", n, unavailable)
		}
	})
}

func TestCloseDuringACallDoesNotHang(t *testing.T) {
	c := newClock()
	release := make(chan struct{})
	svc := newSessionService(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		answer(200, stytchSession("u", c.Now().Add(time.Hour)))(w, r)
	})
	v, err := verifier.NewIntrospectVerifier(stytchConfig(svc.URL, c))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := v.Verify(context.Background(), cookieCred("s", "tok")); done <- err }()
	eventually(t, 2*time.Second, func() bool { return svc.calls.Load() == 1 })
	v.Close() // a config reload, say, while the call is in flight
	close(release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the answer in flight is still good: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Verify hung after Close")
	}
}
