package caddymodule

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authgate/authgate/caddymodule/metrics"
	"github.com/authgate/authgate/verifier/verifiertest"
)

// The example configuration with `metrics` on: its admin endpoint's
// /metrics shows authgate's request counters with the verifier, outcome and
// reason of each request, and a reload (a new registry) does not reset them.
func TestMetricsAreScrapedAtTheAdminEndpointAndSurviveReloads(t *testing.T) {
	adminPort := freePort(t)
	site := strings.Replace(exampleCaddyfile(t, freePort(t)), "\tadmin off\n",
		fmt.Sprintf("\tadmin 127.0.0.1:%d\n", adminPort), 1)
	if !strings.Contains(site, "\n\tmetrics\n") {
		t.Fatal("Caddyfile.example no longer enables metrics")
	}
	g := startGateway(t, site)
	scrapeURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", adminPort)

	allowed := `authgate_requests_total{outcome="allowed",reason="ok",verifier="dev"}`
	missing := `authgate_requests_total{outcome="unauthorized",reason="missing_credential",verifier="none"}`
	malformed := `authgate_requests_total{outcome="unauthorized",reason="malformed",verifier="none"}`
	forbidden := `authgate_requests_total{outcome="forbidden",reason="policy_denied",verifier="dev"}`
	verified := `authgate_verify_duration_seconds_count{cache="hit",verifier="dev"}`
	before := scrape(t, scrapeURL)

	editor := g.mint("metrics-editor", `roles=["editor"]`)
	wantStatus(t, g.do("GET", "/", "Authorization: Bearer "+editor), http.StatusOK)
	wantStatus(t, g.do("GET", "/", "Authorization: Bearer "+editor), http.StatusOK)
	wantStatus(t, g.do("GET", "/"), http.StatusUnauthorized)
	wantStatus(t, g.do("GET", "/", "Authorization: Bearer not.a.token"), http.StatusUnauthorized)
	wantStatus(t, g.do("GET", "/admin/x", "Authorization: Bearer "+editor), http.StatusForbidden)
	// An edge session (the example's bolt store): created, then verified.
	r := send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+editor)
	wantStatus(t, r, http.StatusCreated)
	cookie := sesCookie(t, r)
	wantStatus(t, g.do("GET", "/", "Cookie: "+cookie.Name+"="+cookie.Value), http.StatusOK)

	after := scrape(t, scrapeURL)
	for series, want := range map[string]float64{
		allowed: 2, missing: 1, malformed: 1, forbidden: 1,
		`authgate_requests_total{outcome="allowed",reason="ok",verifier="session"}`: 1,
		`authgate_verify_duration_seconds_count{cache="miss",verifier="session"}`:   1,
		`authgate_store_operations_total{op="create",result="ok"}`:                  1,
	} {
		if got := after.values[series] - before.values[series]; got != want {
			t.Errorf("%s went up by %v, want %v", series, got, want)
		}
	}
	// The second request of the token, at least, was a cache hit.
	if after.values[verified] <= before.values[verified] {
		t.Errorf("%s did not go up", verified)
	}
	for _, secret := range []string{"metrics-editor", editor, cookie.Value, "/admin/x", "not.a.token"} {
		if strings.Contains(after.text, secret) {
			t.Errorf("a scrape shows %q: labels must come from configuration and fixed codes only", secret)
		}
	}

	g.reload()
	reloaded := scrape(t, scrapeURL)
	for _, series := range []string{allowed, missing, malformed, forbidden} {
		if reloaded.values[series] < after.values[series] {
			t.Errorf("%s went from %v to %v across a reload", series, after.values[series], reloaded.values[series])
		}
	}
	wantStatus(t, g.do("GET", "/admin/x", "Authorization: Bearer "+editor), http.StatusForbidden)
	if got := scrape(t, scrapeURL).values[forbidden] - reloaded.values[forbidden]; got != 1 {
		t.Errorf("after the reload %s went up by %v, want 1", forbidden, got)
	}
}

// JWKS fetches are counted by result, with the keys they loaded.
func TestMetricsCountJWKSRefreshes(t *testing.T) {
	idp := verifiertest.NewServer()
	t.Cleanup(idp.Close)
	ok := map[string]string{"result": "ok"}
	failed := map[string]string{"result": "error"}
	okBefore, failedBefore := metricSum(t, "authgate_jwks_refreshes_total", ok), metricSum(t, "authgate_jwks_refreshes_total", failed)
	keysBefore := metricSum(t, "authgate_jwks_keys_loaded_total", nil)
	startGateway(t, strings.ReplaceAll(`{
	admin off
	storage file_system {STORAGE}
	authgate {
		jwt idp {
			issuer https://idp.example/
			jwks_url {JWKS}
			audience app
		}
	}
}
http://127.0.0.1:{PORT} {
	authgate
	respond ok
}
`, "{JWKS}", idp.URL))
	// The first fetch runs in the background: wait for it to be counted.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if metricSum(t, "authgate_jwks_refreshes_total", ok)-okBefore >= 1 && metricSum(t, "authgate_jwks_keys_loaded_total", nil)-keysBefore >= float64(len(verifiertest.Algs)) {
			break
		}
	}
	if got := metricSum(t, "authgate_jwks_refreshes_total", ok) - okBefore; got != 1 {
		t.Errorf("successful JWKS fetches went up by %v, want 1", got)
	}
	if got := metricSum(t, "authgate_jwks_keys_loaded_total", nil) - keysBefore; got != float64(len(verifiertest.Algs)) {
		t.Errorf("keys loaded went up by %v, want %d", got, len(verifiertest.Algs))
	}
	if got := metricSum(t, "authgate_jwks_refreshes_total", failed) - failedBefore; got != 0 {
		t.Errorf("failed JWKS fetches went up by %v, want 0", got)
	}
}

// scraped is one scrape of a /metrics endpoint: its text, and the value of
// every sample by its series (name and labels as written).
type scraped struct {
	text   string
	values map[string]float64
}

func scrape(t *testing.T, url string) scraped {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("scraping %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scraping %s: status %d, %v", url, resp.StatusCode, err)
	}
	s := scraped{text: string(body), values: map[string]float64{}}
	for line := range strings.Lines(s.text) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			s.values[line[:i]] = v
		}
	}
	return s
}

// metricSum is the sum of the samples of the process metric name (counter
// values, or histogram counts) whose labels include every pair of match.
func metricSum(t *testing.T, name string, match map[string]string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := metrics.Register(reg); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range match {
				if labels[k] != v {
					continue metrics
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
