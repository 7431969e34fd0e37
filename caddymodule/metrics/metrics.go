package metrics

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
// reads these same vectors, and counters survive reloads.
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

// Register adds the process metrics to reg, the registry of the config
// being loaded. A nil reg registers nothing; a registry that already holds
// them (a second app provisioned in the same context) is left as it is.
func Register(reg prometheus.Registerer) error {
	if reg == nil {
		return nil
	}
	err := reg.Register(processMetrics{})
	if are := (prometheus.AlreadyRegisteredError{}); errors.As(err, &are) {
		return nil
	}
	return err
}

// domainReasons are the reason codes of the domain packages a request can
// be counted with; the caller adds its own (NewRequests).
func domainReasons() []string {
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
	}
	for _, rule := range firewall.RuleNames() {
		list = append(list, "path_"+rule)
	}
	return list
}

// NoVerifier is the verifier label of a request no verifier vouched for,
// and the provider label of a login naming no configured provider.
const NoVerifier = "none"

// Requests finds the authgate_requests_total series of a request. It
// belongs to one app (its verifier names) and is read-only once built,
// except for its slots, each resolved on first use, so that counting a
// request with a known verifier, outcome and reason allocates nothing.
type Requests struct {
	verifiers map[string]int // verifier name → row; NoVerifier is row 0
	outcomes  map[string]int
	reasons   map[string]int
	slots     []atomic.Pointer[prometheus.Counter]
}

// NewRequests returns the table for an app with the verifier names, every
// outcome a request can have, and the reasons of the app's own (beyond
// the domain packages' reason codes, which it always knows). A request
// outside them is still counted, at the cost of a lookup in the vector.
func NewRequests[O ~string](verifiers []string, outcomes []O, reasons ...string) *Requests {
	t := &Requests{
		verifiers: map[string]int{NoVerifier: 0},
		outcomes:  make(map[string]int, len(outcomes)),
		reasons:   map[string]int{},
	}
	for _, n := range verifiers {
		if _, ok := t.verifiers[n]; !ok {
			t.verifiers[n] = len(t.verifiers)
		}
	}
	for _, o := range outcomes {
		if _, ok := t.outcomes[string(o)]; !ok {
			t.outcomes[string(o)] = len(t.outcomes)
		}
	}
	for _, r := range append(domainReasons(), reasons...) {
		if _, ok := t.reasons[r]; !ok {
			t.reasons[r] = len(t.reasons)
		}
	}
	t.slots = make([]atomic.Pointer[prometheus.Counter], len(t.verifiers)*len(t.outcomes)*len(t.reasons))
	return t
}

// Count adds one request to authgate_requests_total: the verifier that
// vouched (NoVerifier if name is empty), the outcome and its reason. A nil
// table counts nothing.
func (t *Requests) Count(name, outcome, reason string) {
	if t == nil {
		return
	}
	if name == "" {
		name = NoVerifier
	}
	row, okV := t.verifiers[name]
	o, okO := t.outcomes[outcome]
	col, okR := t.reasons[reason]
	if !okV || !okO || !okR {
		requestsTotal.WithLabelValues(name, outcome, reason).Inc()
		return
	}
	slot := &t.slots[(row*len(t.outcomes)+o)*len(t.reasons)+col]
	if c := slot.Load(); c != nil {
		(*c).Inc()
		return
	}
	c := requestsTotal.WithLabelValues(name, outcome, reason)
	slot.Store(&c)
	c.Inc()
}
