package caddymodule

import (
	"errors"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authgate/authgate/internal/firewall"
	"github.com/authgate/authgate/session/sessionhttp"
	"github.com/authgate/authgate/verifier"
)

// The metrics live in the process, not in a config: Caddy builds a new
// registry at every config load, so each load registers a collector that
// reads these same vectors, and counters survive reloads. Every label value
// comes from the configuration (verifier, claim and provider names) or from
// a fixed code (outcomes, reasons, results); never from a token, a subject,
// a session or a path.
var (
	requestsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "authgate_requests_total",
		Help: "Requests on authgate routes by the verifier that vouched (none if none did), outcome and reason code.",
	}, []string{"verifier", "outcome", "reason"})
	verifyDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "authgate_verify_duration_seconds",
		Help:    "Time to verify a credential, by the verifier that vouched (none if none did) and whether a cache answered.",
		Buckets: []float64{.00001, .00005, .0001, .0005, .001, .005, .01, .05, .1, .5, 1, 5},
	}, []string{"verifier", "cache"})
	identityCacheLookups = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "authgate_identity_cache_lookups_total",
		Help: "JWT verifications by whether the identity cache answered (hit) or not (miss).",
	}, []string{"result"})
	identityCacheEvictions = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "authgate_identity_cache_evictions_total",
		Help: "Identities the identity cache dropped to make room for others.",
	})
	jwksRefreshes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "authgate_jwks_refreshes_total",
		Help: "Fetches of remote key sets (JWKS) by result.",
	}, []string{"result"})
	jwksKeysLoaded = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "authgate_jwks_keys_loaded_total",
		Help: "Usable keys loaded by successful JWKS fetches.",
	})
	claimFetches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "authgate_claim_fetches_total",
		Help: "Calls of claim sources by claim and result (throttled: turned away before a call).",
	}, []string{"claim", "result"})
	claimFetchDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "authgate_claim_fetch_duration_seconds",
		Help:    "Duration of calls of claim sources, by claim.",
		Buckets: prometheus.DefBuckets,
	}, []string{"claim"})
	claimRefreshes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "authgate_claim_refreshes_total",
		Help: "Claim refreshes by claim and how they were answered (cache, fetch, stale, error).",
	}, []string{"claim", "served"})
	claimWriteBackFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "authgate_claim_write_back_failures_total",
		Help: "Fetched claim values that could not be written back into their edge session.",
	}, []string{"claim"})
	introspectionCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "authgate_introspection_calls_total",
		Help: "Introspection calls by verifier and result (throttled: turned away before a call).",
	}, []string{"verifier", "result"})
	introspectionDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "authgate_introspection_duration_seconds",
		Help:    "Duration of introspection calls, by verifier.",
		Buckets: prometheus.DefBuckets,
	}, []string{"verifier"})
	storeOperations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "authgate_store_operations_total",
		Help: "Session store calls by operation and result.",
	}, []string{"op", "result"})
	storeDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "authgate_store_operation_duration_seconds",
		Help:    "Duration of session store calls, by operation.",
		Buckets: []float64{.0001, .0005, .001, .005, .01, .05, .1, .5, 1, 5},
	}, []string{"op"})
	revocations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "authgate_revocations_total",
		Help: "Revocations and deny-list entries by what they revoked.",
	}, []string{"what"})
	revokedSessions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "authgate_revoked_sessions_total",
		Help: "Edge sessions ended by revocations, by what was revoked.",
	}, []string{"what"})
	loginsStarted = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "authgate_logins_started_total",
		Help: "Browsers sent to an OpenID provider to sign in, by provider.",
	}, []string{"provider"})
	loginsCompleted = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "authgate_logins_completed_total",
		Help: "Login callbacks that ended in an edge session, by provider.",
	}, []string{"provider"})
	loginsFailed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "authgate_logins_failed_total",
		Help: "Logins that could not start or whose callback failed, by provider and reason.",
	}, []string{"provider", "reason"})
)

// allMetrics is every collector of the process, in the order they are
// described.
var allMetrics = []prometheus.Collector{
	requestsTotal, verifyDuration, identityCacheLookups, identityCacheEvictions,
	jwksRefreshes, jwksKeysLoaded, claimFetches, claimFetchDuration, claimRefreshes,
	claimWriteBackFailures, introspectionCalls, introspectionDuration, storeOperations,
	storeDuration, revocations, revokedSessions, loginsStarted, loginsCompleted, loginsFailed,
}

// processMetrics is the collector registered in each config's registry: it
// forwards to the process-level vectors.
type processMetrics struct{}

func (processMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range allMetrics {
		c.Describe(ch)
	}
}

func (processMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range allMetrics {
		c.Collect(ch)
	}
}

// registerMetrics adds the process metrics to reg, the registry of the
// config being loaded. A registry that already holds them (a second app
// provisioned in the same context) is left as it is.
func registerMetrics(reg prometheus.Registerer) error {
	if reg == nil {
		return nil
	}
	err := reg.Register(processMetrics{})
	if are := (prometheus.AlreadyRegisteredError{}); errors.As(err, &are) {
		return nil
	}
	return err
}

// outcomeIndex numbers the outcomes, for requestSeries.
var outcomeIndex = func() map[Outcome]int {
	m := make(map[Outcome]int, len(outcomes))
	for i, o := range outcomes {
		m[o] = i
	}
	return m
}()

// knownReasons indexes every reason a request can be counted with, so that
// the series of a (verifier, outcome, reason) is resolved once and then
// found without allocating. A reason outside it is still counted, at the
// cost of a lookup in the vector.
var knownReasons = func() map[string]int {
	list := []string{
		string(verifier.ReasonOK), string(verifier.ReasonInternal), string(verifier.ReasonMissingCredential),
		string(verifier.ReasonTokenExpired), string(verifier.ReasonNotYetValid), string(verifier.ReasonBadSignature),
		string(verifier.ReasonUnknownKey), string(verifier.ReasonBadIssuer), string(verifier.ReasonBadAudience),
		string(verifier.ReasonBadType), string(verifier.ReasonUnsupportedCrit), string(verifier.ReasonAlgNotAllowed),
		string(verifier.ReasonMalformed), string(verifier.ReasonTooLarge), string(verifier.ReasonTooOld),
		string(verifier.ReasonTokenRevoked), string(verifier.ReasonSessionRevoked), string(verifier.ReasonSessionExpired),
		string(verifier.ReasonInactive), string(verifier.ReasonUnsupportedBinding), string(verifier.ReasonKeysUnavailable),
		string(verifier.ReasonStoreUnavailable), string(verifier.ReasonIntrospectionUnavailable),
		string(verifier.ReasonRateLimited), string(sessionhttp.ReasonTokenReused),
		reasonPreflight, reasonProtectedTrailer, "policy_denied", "claim_source_unavailable",
	}
	for _, rule := range firewall.RuleNames() {
		list = append(list, "path_"+rule)
	}
	m := make(map[string]int, len(list))
	for i, r := range list {
		m[r] = i
	}
	return m
}()

// noVerifier is the verifier label of a request no verifier vouched for.
const noVerifier = "none"

// requestSeries finds the authgate_requests_total series of a request. It
// belongs to one app (its verifier names) and is read-only once built,
// except for its slots, each resolved on first use.
type requestSeries struct {
	verifiers map[string]int // verifier name → row; noVerifier is row 0
	slots     []atomic.Pointer[prometheus.Counter]
}

// newRequestSeries returns the table for an app with the verifier names.
func newRequestSeries(names []string) *requestSeries {
	t := &requestSeries{verifiers: map[string]int{noVerifier: 0}}
	for _, n := range names {
		if _, ok := t.verifiers[n]; !ok {
			t.verifiers[n] = len(t.verifiers)
		}
	}
	t.slots = make([]atomic.Pointer[prometheus.Counter], len(t.verifiers)*len(outcomes)*len(knownReasons))
	return t
}

// count adds the request d decided to authgate_requests_total. A nil table
// counts nothing, and a request with no decision (an endpoint of the
// gateway's own) is not counted.
func (t *requestSeries) count(d *decision) {
	if t == nil || d.outcome == "" {
		return
	}
	name, reason := d.verifier, d.reason
	if name == "" {
		name = noVerifier
	}
	if reason == "" && d.outcome == OutcomeAllowed {
		reason = string(verifier.ReasonOK)
	}
	row, okV := t.verifiers[name]
	o, okO := outcomeIndex[d.outcome]
	col, okR := knownReasons[reason]
	if !okV || !okO || !okR {
		requestsTotal.WithLabelValues(name, string(d.outcome), reason).Inc()
		return
	}
	slot := &t.slots[(row*len(outcomes)+o)*len(knownReasons)+col]
	if c := slot.Load(); c != nil {
		(*c).Inc()
		return
	}
	c := requestsTotal.WithLabelValues(name, string(d.outcome), reason)
	slot.Store(&c)
	c.Inc()
}
