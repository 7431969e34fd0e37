package caddymodule

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	bolt "go.etcd.io/bbolt"

	"github.com/authgate/authgate/internal/oidctest"
)

// TestOIDCLoginFloodIsBounded: one client (an IPv6 /64 behind a trusted
// proxy) sends 1,000 login starts, each followed by a callback with a
// well-formed bogus code, at the real (fosite) provider. Token-endpoint
// calls, store writes and warning lines must stay a handful; the client
// gets 429 with Retry-After; another client is still served.
func TestOIDCLoginFloodIsBounded(t *testing.T) {
	p := oidctest.New(t, oidctest.Options{ClientID: "gateway", ClientSecret: "gw-secret"})
	logFile := filepath.Join(t.TempDir(), "caddy.log")
	site := strings.NewReplacer("{ISSUER}", p.Issuer(), "{UPSTREAM}", echoUpstream(t).URL,
		"{OIDC}", "", "{SESSION}", "", "{GLOBAL}", "",
		"\tadmin off\n", "\tadmin off\n\tservers {\n\t\ttrusted_proxies static 127.0.0.1/32\n\t}\n\tlog {\n\t\toutput file "+logFile+"\n\t\tformat json\n\t\tlevel WARN\n\t}\n",
	).Replace(oidcSite)
	g := startGateway(t, site)
	p.AllowRedirect(g.base + "/.authgate/callback")
	p.AutoLogin("alice")

	attacker := func(i int) string { return fmt.Sprintf("X-Forwarded-For: 2001:db8:7:7::%x", i+1) }
	b := newBrowser(t)
	start, tokensBefore := time.Now(), p.TokenRequests()
	var limited, retryAfter int
	for i := range 1000 {
		r := b.do("GET", g.base+"/.authgate/login?redirect_uri=/", "", attacker(i))
		state := "bogus-state"
		if loc, err := url.Parse(r.header.Get("Location")); err == nil && r.status == http.StatusFound {
			state = loc.Query().Get("state")
		}
		cb := b.do("GET", g.base+"/.authgate/callback?state="+url.QueryEscape(state)+"&code=bogus-code-"+fmt.Sprint(i), "", attacker(i))
		for _, x := range []response{r, cb} {
			if x.status == http.StatusTooManyRequests {
				limited++
				if x.header.Get("Retry-After") != "" {
					retryAfter++
				}
			}
		}
	}
	tokens := p.TokenRequests() - tokensBefore
	t.Logf("1,000 login+callback pairs in %v: %d token requests, %d answers 429", time.Since(start).Round(time.Millisecond), tokens, limited)
	if tokens > 8 {
		t.Errorf("%d token-endpoint requests for bogus codes, want a handful at most", tokens)
	}
	if limited < 1800 || retryAfter != limited {
		t.Errorf("%d answers 429 (%d with Retry-After), want nearly all of 2,000", limited, retryAfter)
	}

	// Another client is served: it logs in from start to end.
	other := newBrowser(t)
	r := other.do("GET", g.base+"/.authgate/login?redirect_uri=/home", "", "X-Forwarded-For: 203.0.113.9")
	wantLoginStartsAt(t, r, p.Issuer())
	_, cb := other.navigate(r.header.Get("Location"), atCallback)
	done := other.do("GET", cb, "", "X-Forwarded-For: 203.0.113.9", "Accept: text/html")
	if done.status != http.StatusSeeOther || other.cookie(g.base, sessionCookieName) == "" {
		t.Fatalf("another client's callback: %d %s", done.status, done.body)
	}
	// Another address of the attacker's /64 is the same client.
	// The shared budget refills at 0.5 a second, so a loaded machine may
	// hand the /64 a token or two since the flood; a client of its own would
	// hold 30. Of five logins from fresh addresses of the /64, some must be
	// refused.
	refused := 0
	for i := range 5 {
		r := newBrowser(t).do("GET", g.base+"/.authgate/login", "", fmt.Sprintf("X-Forwarded-For: 2001:db8:7:7:ffff::%x", i+1))
		if r.status == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused == 0 {
		t.Errorf("five logins from other addresses of the attacker's /64 all passed: the /64 is not one client")
	}

	// Stop the gateway, then count what the flood left in the store and
	// the log.
	if err := caddy.Load([]byte(`{"admin":{"disabled":true}}`), true); err != nil {
		t.Fatal(err)
	}
	warns := countLines(t, logFile, `"level":"warn"`)
	states, sessions := countBolt(t, filepath.Join(g.storage, "sessions.db"))
	t.Logf("store: %d state markers, %d sessions; %d warning lines", states, sessions, warns)
	if states > 8+1+(5-refused) || sessions != 1 {
		t.Errorf("%d state markers and %d sessions written, want a handful and the other client's one", states, sessions)
	}
	if warns > 20 {
		t.Errorf("%d warning lines, want a bounded few", warns)
	}
}

// countLines counts the lines of a file that contain s.
func countLines(t *testing.T, path, s string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for line := range strings.Lines(string(b)) {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

// countBolt counts the once-markers of OIDC states and the sessions in a
// bolt session store that is no longer open.
func countBolt(t *testing.T, path string) (states, sessions int) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte("once")); b != nil {
			_ = b.ForEach(func(k, _ []byte) error {
				if strings.HasPrefix(string(k), "oidc-state|") {
					states++
				}
				return nil
			})
		}
		if b := tx.Bucket([]byte("sessions")); b != nil {
			sessions = b.Stats().KeyN
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return states, sessions
}
