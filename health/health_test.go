package health

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
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
