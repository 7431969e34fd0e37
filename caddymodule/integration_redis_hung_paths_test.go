package caddymodule

import (
	"context"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/oidctest"
	"github.com/authgate/authgate/session/sessiontest"
)

// hungPathsSite is a gateway whose every store-touching path (exchange,
// logout, admin API, OIDC login and callback, deny-list check of JWTs) runs
// on a Redis the test freezes.
const hungPathsSite = `{
	admin {ADMIN}
	storage file_system {STORAGE}
	authgate {
		dev
		oidc corp {
			issuer {ISSUER}
			client_id gateway
			client_secret gw-secret
			callback_url http://127.0.0.1:{PORT}/.authgate/callback
			same_subjects dev
		}
		session {
			store redis {REDIS} {
				timeout 300ms
			}
			exchange dev
		}
	}
}
http://127.0.0.1:{PORT} {
	handle /api/* {
		authgate
		reverse_proxy {UPSTREAM}
	}
	handle {
		authgate {
			login oidc corp
		}
		reverse_proxy {UPSTREAM}
	}
}
`

// timedDo sends one request without following redirects, giving up after
// 4s; it returns the status (0 when the client gave up) and the time taken.
func timedDo(jar http.CookieJar, tr http.RoundTripper, method, rawURL string, headers ...string) (int, time.Duration) {
	req, _ := http.NewRequest(method, rawURL, nil)
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	c := &http.Client{Jar: jar, Transport: tr, Timeout: 4 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	start := time.Now()
	resp, err := c.Do(req)
	took := time.Since(start)
	if err != nil {
		return 0, took
	}
	resp.Body.Close()
	return resp.StatusCode, took
}

// With Redis frozen by SIGSTOP, every path that touches the store answers
// within its deadline with a clear refusal, never a hang or a 500: the
// exchange, logout by cookie and by bearer, every admin API call, an OIDC
// login start, an OIDC callback begun before the freeze, and the deny-list
// check of a JWT not seen before.
func TestHungRedisBoundsEveryStorePath(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	rp := sessiontest.StartRedis(t)
	p := oidctest.New(t, oidctest.Options{ClientID: "gateway", ClientSecret: "gw-secret"})
	// The admin API listens on a unix socket: a free TCP port can be taken
	// by another process before Caddy binds it.
	sock := t.TempDir() + "/admin.sock"
	admin := "unix/" + sock
	adminTr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}
	g := startGateway(t, strings.NewReplacer("{ADMIN}", admin, "{REDIS}", rp.URL(), "{ISSUER}", p.Issuer(),
		"{UPSTREAM}", echoUpstream(t).URL).Replace(hungPathsSite))
	p.AllowRedirect(g.base + "/.authgate/callback")
	p.AutoLogin("alice")
	adminBase := "http://localhost"

	ses := sesExchange(t, g, "hana")
	cookie := "Cookie: " + sessionCookieName + "=" + ses
	wantStatus(t, g.do("GET", "/api/x", cookie), http.StatusOK)
	b := newBrowser(t)
	_, auth := b.navigate(g.base+"/x", atProvider)
	_, cb := b.navigate(auth, atCallback)

	rp.Stop()
	defer rp.Cont()
	time.Sleep(1100 * time.Millisecond) // past the 1s session cache

	newJar := func() http.CookieJar { j, _ := cookiejar.New(nil); return j }
	nav := []string{"Accept: text/html", "Sec-Fetch-Mode: navigate"}
	cbURL, _ := url.Parse(cb)
	for _, c := range []struct {
		name    string
		jar     http.CookieJar
		tr      http.RoundTripper
		method  string
		url     string
		headers []string
		want    []int
	}{
		{"exchange", nil, nil, "POST", g.base + "/.authgate/session", []string{"Authorization: Bearer " + g.mint("ivan")}, []int{503}},
		{"new bearer on api", nil, nil, "GET", g.base + "/api/x", []string{"Authorization: Bearer " + g.mint("jo")}, []int{503}},
		{"session on api", nil, nil, "GET", g.base + "/api/x", []string{cookie}, []int{503}},
		{"logout by cookie", nil, nil, "POST", g.base + "/.authgate/logout", []string{cookie}, []int{503}},
		{"logout by bearer", nil, nil, "POST", g.base + "/.authgate/logout", []string{"Authorization: Bearer " + g.mint("kim")}, []int{503}},
		{"admin list", nil, adminTr, "GET", adminBase + "/authgate/sessions?user_id=hana", nil, []int{503}},
		{"admin delete", nil, adminTr, "DELETE", adminBase + "/authgate/sessions/ses_x", nil, []int{503, 404}},
		{"admin revoke user", nil, adminTr, "DELETE", adminBase + "/authgate/sessions?user_id=hana", nil, []int{503}},
		{"oidc login start", newJar(), nil, "GET", g.base + "/y", nav, []int{302, 303, 503}},
		{"oidc callback", b.jar, nil, "GET", cbURL.String(), nav, []int{503}},
	} {
		for round := range 2 { // before and after the circuit opens
			if round == 1 && c.name == "oidc callback" {
				break // the refusal ended this login: its state cookie is gone
			}
			status, took := timedDo(c.jar, c.tr, c.method, c.url, c.headers...)
			t.Logf("%s (round %d): %d after %v", c.name, round, status, took.Round(time.Millisecond))
			ok := false
			for _, w := range c.want {
				ok = ok || status == w
			}
			if !ok || took > 2*time.Second {
				t.Errorf("%s with redis stopped: status %d after %v, want one of %v within 2s", c.name, status, took, c.want)
			}
		}
	}
}
