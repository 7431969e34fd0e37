package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authgate/authgate/claimsource"
	"github.com/authgate/authgate/verifier"
)

// value is the sum of the samples of the process metric name whose labels
// include match, read through a registry as a scrape would.
func value(t *testing.T, name string, match map[string]string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	if err := Register(reg); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	samples:
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range match {
				if labels[k] != v {
					continue samples
				}
			}
			switch {
			case m.GetCounter() != nil:
				sum += m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				sum += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return sum
}

func TestRegisterTwiceInOneRegistryIsNoError(t *testing.T) {
	reg := prometheus.NewRegistry()
	for range 2 {
		if err := Register(reg); err != nil {
			t.Fatal(err)
		}
	}
	if err := Register(nil); err != nil {
		t.Fatal(err)
	}
}

func TestRequestsCountKnownAndUnknownLabels(t *testing.T) {
	table := NewRequests([]string{"unit-jwt"}, []string{"allowed", "unauthorized"}, "unit_reason")
	cases := []struct {
		name, outcome, reason string
		labels                map[string]string
	}{
		{"unit-jwt", "allowed", "ok", map[string]string{"verifier": "unit-jwt", "outcome": "allowed", "reason": "ok"}},
		{"", "unauthorized", "unit_reason", map[string]string{"verifier": NoVerifier, "outcome": "unauthorized", "reason": "unit_reason"}},
		{"unit-other", "unit_outcome", "unit_unknown", map[string]string{"verifier": "unit-other", "outcome": "unit_outcome", "reason": "unit_unknown"}},
	}
	for _, c := range cases {
		before := value(t, "authgate_requests_total", c.labels)
		table.Count(c.name, c.outcome, c.reason)
		table.Count(c.name, c.outcome, c.reason)
		if got := value(t, "authgate_requests_total", c.labels) - before; got != 2 {
			t.Errorf("%v counted %v times, want 2", c.labels, got)
		}
	}
	var none *Requests
	none.Count("unit-jwt", "allowed", "ok") // a nil table counts nothing and does not panic
}

func TestObserverFeedsTheProcessMetrics(t *testing.T) {
	o := new(Observer)
	o.Prepare([]string{"unit-prepared"})
	hits := map[string]string{"result": "hit"}
	prepared := map[string]string{"verifier": "unit-prepared", "cache": "hit"}
	unprepared := map[string]string{"verifier": "unit-late", "cache": "miss"}
	claims := map[string]string{"claim": "unit-claim", "result": "throttled"}
	hitsBefore, preparedBefore := value(t, "authgate_identity_cache_lookups_total", hits), value(t, "authgate_verify_duration_seconds", prepared)
	unpreparedBefore, claimsBefore := value(t, "authgate_verify_duration_seconds", unprepared), value(t, "authgate_claim_fetches_total", claims)

	o.IdentityCache().Verified("unit-prepared", verifier.ReasonOK, verifier.CacheHit, time.Millisecond)
	o.Verified("unit-late", verifier.ReasonOK, verifier.CacheMiss, time.Millisecond)
	o.Fetched("unit-claim", claimsource.FetchThrottled, 0)

	if got := value(t, "authgate_identity_cache_lookups_total", hits) - hitsBefore; got != 1 {
		t.Errorf("identity cache hits: %v, want 1", got)
	}
	if got := value(t, "authgate_verify_duration_seconds", prepared) - preparedBefore; got != 1 {
		t.Errorf("prepared verifier latencies: %v, want 1", got)
	}
	if got := value(t, "authgate_verify_duration_seconds", unprepared) - unpreparedBefore; got != 1 {
		t.Errorf("unprepared verifier latencies: %v, want 1", got)
	}
	if got := value(t, "authgate_claim_fetches_total", claims) - claimsBefore; got != 1 {
		t.Errorf("throttled claim fetches: %v, want 1", got)
	}
	if got := value(t, "authgate_claim_fetch_duration_seconds", map[string]string{"claim": "unit-claim"}); got != 0 {
		t.Errorf("a throttled fetch was timed: %v samples", got)
	}
}
