package health

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

type keys bool

func (k keys) Loaded(context.Context) bool { return bool(k) }

func TestLiveFollowsRunning(t *testing.T) {
	var none *Health
	if rep := none.Live(); rep.Status != Failing {
		t.Fatalf("no app: %+v, want failing", rep)
	}
	h := &Health{}
	if rep := h.Live(); rep.Status != Failing {
		t.Fatalf("not started: %+v, want failing", rep)
	}
	h.Running.Store(true)
	if rep := h.Ready(context.Background()); rep.Status != OK || len(rep.Checks) != 1 {
		t.Fatalf("running, no checks: %+v, want ok with the app check only", rep)
	}
}

func TestReadyRunsTheConfiguredChecks(t *testing.T) {
	h := &Health{Checks: []string{"jwks"}, JWKS: map[string]KeysLoader{"b": keys(true), "a": keys(false)}}
	if err := h.CheckReadiness(); err != nil {
		t.Fatal(err)
	}
	h.Running.Store(true)
	rep := h.Ready(context.Background())
	if rep.Status != Failing || len(rep.Checks) != 3 || rep.Checks[1].Target != "a" || rep.Checks[1].State != Failing || rep.Checks[2].State != OK {
		t.Fatalf("report %+v, want app ok, jwks a failing, jwks b ok", rep)
	}
	rec := httptest.NewRecorder()
	Write(rec, httptest.NewRequest("GET", "/ready", nil), rep)
	var got Report
	if rec.Code != http.StatusServiceUnavailable || json.Unmarshal(rec.Body.Bytes(), &got) != nil || got.Status != Failing {
		t.Fatalf("answer %d %s, want 503 with the report", rec.Code, rec.Body)
	}
}

func TestCheckReadinessRefusesWhatIsNotConfigured(t *testing.T) {
	for _, c := range []string{"jwks", "store", "oidc"} {
		if err := (&Health{Checks: []string{c}}).CheckReadiness(); err == nil {
			t.Errorf("ready %s with nothing to check was accepted", c)
		}
	}
}

// ctxKeys is a key source whose answer depends on the caller's context,
// as a refresh or a store ping does: a canceled context cannot load keys.
type ctxKeys struct{}

func (ctxKeys) Loaded(ctx context.Context) bool { return ctx.Err() == nil }

// A probe that hangs up (or times out) at once must not decide readiness
// for the probes of the next second: the answer of a canceled request is
// reused by everyone, so a public client closing its connections in a loop
// could keep every instance not ready.
func TestReadyIsNotPoisonedByACanceledProbe(t *testing.T) {
	h := &Health{Checks: []string{"jwks"}, JWKS: map[string]KeysLoader{"corp": ctxKeys{}}}
	h.Running.Store(true)
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	h.Ready(gone)
	if rep := h.Ready(context.Background()); rep.Status != OK {
		t.Fatalf("after a canceled probe: %+v, want ok", rep)
	}
}

// Concurrent probes share one evaluation a second and all get its answer
// (run with -race).
func TestReadyConcurrentProbesShareTheAnswer(t *testing.T) {
	h := &Health{Checks: []string{"jwks"}, JWKS: map[string]KeysLoader{"corp": keys(true)}}
	h.Running.Store(true)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			if rep := h.Ready(context.Background()); rep.Status != OK || len(rep.Checks) != 2 {
				t.Errorf("concurrent probe: %+v", rep)
			}
		})
	}
	wg.Wait()
}
