package caddymodule

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authgate/authgate/oidclogin"
	"github.com/authgate/authgate/session"
)

const (
	// healthPingTimeout bounds the store's ping.
	healthPingTimeout = time.Second
	// healthCheckTimeout bounds one readiness evaluation in all; the key
	// and discovery checks wait at most a second each for a refresh.
	healthCheckTimeout = 2 * time.Second
	// healthCacheTTL is how long a readiness answer is reused, so probes
	// from a public site cannot turn into a ping per request.
	healthCacheTTL = time.Second
)

// Check states and overall statuses of a health report.
const (
	healthOK      = "ok"
	healthFailing = "failing"
)

// healthReport is the JSON body of every liveness and readiness answer.
type healthReport struct {
	// Status is "ok" when every check is, else "failing".
	Status string        `json:"status"`
	Checks []checkResult `json:"checks"`
}

// checkResult is one check: which, of what (a verifier or provider
// name), its state, and a fixed explanation when it fails. Errors of the
// remote services are never copied in: they may name internal addresses.
type checkResult struct {
	Check  string `json:"check"`
	Target string `json:"target,omitempty"`
	State  string `json:"state"`
	Error  string `json:"error,omitempty"`
}

// keysLoader is a remote key source (verifier.RemoteKeySource).
type keysLoader interface {
	Loaded(ctx context.Context) bool
}

// health is what an app checks when asked whether it is live or ready.
// Provisioning fills it in; the app's Start and Stop set running.
type health struct {
	checks  []string              // configured readiness checks (config.App.Ready)
	jwks    map[string]keysLoader // jwks_url verifiers by name
	store   session.Store         // the session store; nil: none
	oidc    *oidclogin.Set        // oidc providers; nil: none
	running atomic.Bool

	mu   sync.Mutex // held while a readiness evaluation runs
	last healthReport
	at   time.Time
}

// checkReadiness refuses readiness checks of things the app does not have:
// they could never pass, or would always.
func (h *health) checkReadiness() error {
	for _, c := range h.checks {
		switch {
		case c == "jwks" && len(h.jwks) == 0:
			return fmt.Errorf("ready jwks: no jwt verifier has a jwks_url")
		case c == "store" && h.store == nil:
			return fmt.Errorf("ready store: no session store is configured (add a session block)")
		case c == "oidc" && h.oidc.Len() == 0:
			return fmt.Errorf("ready oidc: no oidc provider is configured")
		}
	}
	return nil
}

// live reports whether the app is running.
func (h *health) live() healthReport {
	r := checkResult{Check: "app", State: healthOK}
	if h == nil || !h.running.Load() {
		r = checkResult{Check: "app", State: healthFailing, Error: "the authgate app is not running"}
	}
	return summarize([]checkResult{r})
}

// ready runs the configured readiness checks, or returns the answer of
// the last second.
func (h *health) ready(ctx context.Context) healthReport {
	live := h.live()
	if live.Status != healthOK || len(h.checks) == 0 {
		return live
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if time.Since(h.at) < healthCacheTTL {
		return h.last
	}
	ctx, cancel := context.WithTimeout(ctx, healthCheckTimeout)
	defer cancel()
	h.last = summarize(append(live.Checks, h.runChecks(ctx)...))
	h.at = time.Now()
	return h.last
}

// runChecks runs every configured check at once and lists the results in
// a fixed order: jwks, store, oidc, targets sorted by name.
func (h *health) runChecks(ctx context.Context) []checkResult {
	var tasks []func() checkResult
	for _, c := range h.checks {
		switch c {
		case "jwks":
			for _, name := range slices.Sorted(maps.Keys(h.jwks)) {
				tasks = append(tasks, func() checkResult { return checkKeys(ctx, name, h.jwks[name]) })
			}
		case "store":
			tasks = append(tasks, func() checkResult { return checkStore(ctx, h.store) })
		case "oidc":
			for _, name := range h.oidc.Names() {
				tasks = append(tasks, func() checkResult { return checkDiscovery(ctx, name, h.oidc.Get(name)) })
			}
		}
	}
	out := make([]checkResult, len(tasks))
	var wg sync.WaitGroup
	for i, task := range tasks {
		wg.Go(func() { out[i] = task() })
	}
	wg.Wait()
	slices.SortStableFunc(out, func(a, b checkResult) int { return checkRank(a.Check) - checkRank(b.Check) })
	return out
}

func checkRank(check string) int {
	return slices.Index([]string{"app", "jwks", "store", "oidc"}, check)
}

func checkKeys(ctx context.Context, name string, keys keysLoader) checkResult {
	if keys.Loaded(ctx) {
		return checkResult{Check: "jwks", Target: name, State: healthOK}
	}
	return checkResult{Check: "jwks", Target: name, State: healthFailing, Error: "no keys loaded from the jwks_url"}
}

func checkStore(ctx context.Context, st session.Store) checkResult {
	p, ok := st.(session.Pinger)
	if !ok {
		return checkResult{Check: "store", State: healthOK}
	}
	ctx, cancel := context.WithTimeout(ctx, healthPingTimeout)
	defer cancel()
	if err := p.Ping(ctx); err != nil {
		return checkResult{Check: "store", State: healthFailing, Error: "the session store did not answer a ping"}
	}
	return checkResult{Check: "store", State: healthOK}
}

func checkDiscovery(ctx context.Context, name string, p *oidclogin.Provider) checkResult {
	if p != nil && p.Discovered(ctx) {
		return checkResult{Check: "oidc", Target: name, State: healthOK}
	}
	return checkResult{Check: "oidc", Target: name, State: healthFailing, Error: "the provider's discovery is not done"}
}

// summarize sets the overall status: ok only when every check is.
func summarize(checks []checkResult) healthReport {
	status := healthOK
	for _, c := range checks {
		if c.State != healthOK {
			status = healthFailing
		}
	}
	return healthReport{Status: status, Checks: checks}
}

// writeHealth answers a probe: 200 when the report is ok, else 503, with
// the report as JSON (no body for HEAD).
func writeHealth(w http.ResponseWriter, r *http.Request, rep healthReport) {
	status := http.StatusOK
	if rep.Status != healthOK {
		status = http.StatusServiceUnavailable
	}
	body, _ := json.Marshal(rep) // plain strings: cannot fail
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(append(body, '\n'))
	}
}

// serveHealth answers GET and HEAD with a's liveness or readiness; a nil
// app (none configured) is not live.
func serveHealth(w http.ResponseWriter, r *http.Request, a *App, ready bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var h *health
	if a != nil {
		h = a.health
	}
	switch {
	case !ready || h == nil:
		writeHealth(w, r, h.live())
	default:
		writeHealth(w, r, h.ready(r.Context()))
	}
}
