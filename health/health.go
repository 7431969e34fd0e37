// Package health answers whether the gateway is live and ready: it runs the
// configured readiness checks (JWKS keys loaded, the session store
// answering a ping, OIDC discovery done) at most once a second and writes
// the JSON report probes read. It imports no Caddy and no zap.
package health

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
	// pingTimeout bounds the store's ping.
	pingTimeout = time.Second
	// checkTimeout bounds one readiness evaluation in all; the key
	// and discovery checks wait at most a second each for a refresh.
	checkTimeout = 2 * time.Second
	// cacheTTL is how long a readiness answer is reused, so probes
	// from a public site cannot turn into a ping per request.
	cacheTTL = time.Second
)

// Check states and overall statuses of a health report.
const (
	OK      = "ok"
	Failing = "failing"
)

// Report is the JSON body of every liveness and readiness answer.
type Report struct {
	// Status is "ok" when every check is, else "failing".
	Status string   `json:"status"`
	Checks []Result `json:"checks"`
}

// Result is one check: which, of what (a verifier or provider
// name), its state, and a fixed explanation when it fails. Errors of the
// remote services are never copied in: they may name internal addresses.
type Result struct {
	Check  string `json:"check"`
	Target string `json:"target,omitempty"`
	State  string `json:"state"`
	Error  string `json:"error,omitempty"`
}

// KeysLoader is a remote key source (verifier.RemoteKeySource).
type KeysLoader interface {
	Loaded(ctx context.Context) bool
}

// Health is what an app checks when asked whether it is live or ready.
// Provisioning fills in the exported fields; the app's Start and Stop set
// Running.
type Health struct {
	Checks  []string              // configured readiness checks: "jwks", "store", "oidc"
	JWKS    map[string]KeysLoader // jwks_url verifiers by name
	Store   session.Store         // the session store; nil: none
	OIDC    *oidclogin.Set        // oidc providers; nil: none
	Running atomic.Bool

	mu   sync.Mutex // held while a readiness evaluation runs
	last Report
	at   time.Time
}

// CheckReadiness refuses readiness checks of things the app does not have:
// they could never pass, or would always.
func (h *Health) CheckReadiness() error {
	for _, c := range h.Checks {
		switch {
		case c == "jwks" && len(h.JWKS) == 0:
			return fmt.Errorf("ready jwks: no jwt verifier has a jwks_url")
		case c == "store" && h.Store == nil:
			return fmt.Errorf("ready store: no session store is configured (add a session block)")
		case c == "oidc" && h.OIDC.Len() == 0:
			return fmt.Errorf("ready oidc: no oidc provider is configured")
		}
	}
	return nil
}

// Live reports whether the app is running.
func (h *Health) Live() Report {
	r := Result{Check: "app", State: OK}
	if h == nil || !h.Running.Load() {
		r = Result{Check: "app", State: Failing, Error: "the authgate app is not running"}
	}
	return summarize([]Result{r})
}

// Ready runs the configured readiness checks, or returns the answer of
// the last second. The checks run to their own deadline whatever happens
// to ctx (only its values are used).
func (h *Health) Ready(ctx context.Context) Report {
	live := h.Live()
	if live.Status != OK || len(h.Checks) == 0 {
		return live
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if time.Since(h.at) < cacheTTL {
		return h.last
	}
	// The answer is shared by every probe of the next second, so it must
	// not depend on the one probe that ran it: a client that hangs up or
	// times out at once would otherwise fail the checks for all of them.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), checkTimeout)
	defer cancel()
	h.last = summarize(append(live.Checks, h.runChecks(ctx)...))
	h.at = time.Now()
	return h.last
}

// runChecks runs every configured check at once and lists the results in
// a fixed order: jwks, store, oidc, targets sorted by name.
func (h *Health) runChecks(ctx context.Context) []Result {
	var tasks []func() Result
	for _, c := range h.Checks {
		switch c {
		case "jwks":
			for _, name := range slices.Sorted(maps.Keys(h.JWKS)) {
				tasks = append(tasks, func() Result { return checkKeys(ctx, name, h.JWKS[name]) })
			}
		case "store":
			tasks = append(tasks, func() Result { return checkStore(ctx, h.Store) })
		case "oidc":
			for _, name := range h.OIDC.Names() {
				tasks = append(tasks, func() Result { return checkDiscovery(ctx, name, h.OIDC.Get(name)) })
			}
		}
	}
	out := make([]Result, len(tasks))
	var wg sync.WaitGroup
	for i, task := range tasks {
		wg.Go(func() { out[i] = task() })
	}
	wg.Wait()
	slices.SortStableFunc(out, func(a, b Result) int { return checkRank(a.Check) - checkRank(b.Check) })
	return out
}

func checkRank(check string) int {
	return slices.Index([]string{"app", "jwks", "store", "oidc"}, check)
}

func checkKeys(ctx context.Context, name string, keys KeysLoader) Result {
	if keys.Loaded(ctx) {
		return Result{Check: "jwks", Target: name, State: OK}
	}
	return Result{Check: "jwks", Target: name, State: Failing, Error: "no keys loaded from the jwks_url"}
}

func checkStore(ctx context.Context, st session.Store) Result {
	p, ok := st.(session.Pinger)
	if !ok {
		return Result{Check: "store", State: OK}
	}
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := p.Ping(ctx); err != nil {
		return Result{Check: "store", State: Failing, Error: "the session store did not answer a ping"}
	}
	return Result{Check: "store", State: OK}
}

func checkDiscovery(ctx context.Context, name string, p *oidclogin.Provider) Result {
	if p != nil && p.Discovered(ctx) {
		return Result{Check: "oidc", Target: name, State: OK}
	}
	return Result{Check: "oidc", Target: name, State: Failing, Error: "the provider's discovery is not done"}
}

// summarize sets the overall status: ok only when every check is.
func summarize(checks []Result) Report {
	status := OK
	for _, c := range checks {
		if c.State != OK {
			status = Failing
		}
	}
	return Report{Status: status, Checks: checks}
}

// Write answers a probe: 200 when the report is ok, else 503, with
// the report as JSON (no body for HEAD).
func Write(w http.ResponseWriter, r *http.Request, rep Report) {
	status := http.StatusOK
	if rep.Status != OK {
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
