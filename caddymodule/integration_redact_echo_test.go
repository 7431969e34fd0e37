package caddymodule

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestSecretsEchoedInErrorBodiesNeverReachLogsOrResponses points every
// kind of outbound URL (introspection, JWKS, claim source, OIDC discovery)
// at a server that refuses each call with a body echoing what it was
// sent: the request URI with its API key, the Authorization header, the
// form. Such pages are common (API gateways, debug error pages); their
// text must not reach a log line or a response, although no "scheme://"
// in it shows the redaction that anything is a URL.
func TestSecretsEchoedInErrorBodiesNeverReachLogsOrResponses(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, "ECHOED %s auth=%q form=%v", r.URL.RequestURI(), r.Header.Get("Authorization"), r.PostForm)
	}))
	t.Cleanup(echo.Close)
	port := strings.TrimPrefix(echo.URL, "http://127.0.0.1:")
	logs := newCaddyLog(t)
	cf := strings.NewReplacer("{LOG}", logs.option(), "{DOWN}", port).Replace(redactSite)
	g := startGateway(t, cf)

	downJWT := unsignedJWT(`{"alg":"RS256","kid":"k1","typ":"JWT"}`,
		fmt.Sprintf(`{"iss":"https://down.example","sub":"x","exp":%d}`, time.Now().Add(time.Hour).Unix()))
	responses := []response{
		g.do("GET", "/x", "X-Session-Token: opaque-session-token-1"),
		g.do("GET", "/x", "X-Down-Token: "+downJWT),
		g.do("GET", "/roles/x", "Authorization: Bearer "+g.mint("alice")),
		g.do("GET", "/login/x", "Accept: text/html"),
	}
	for i, r := range responses {
		if r.status < 400 || r.status == 500 {
			t.Errorf("response %d: status %d, want a refusal", i, r.status)
		}
		if strings.Contains(r.body, "SECRET") || strings.Contains(r.body, "ECHOED") || strings.Contains(fmt.Sprint(r.header), "SECRET") {
			t.Errorf("response %d carries the echo: %v %s", i, r.header, r.body)
		}
	}
	sesWaitFor(t, 5*time.Second, "the oidc discovery failure logged", func() bool {
		return len(logs.lines(`"msg":"oidc discovery failed"`)) > 0
	})
	for _, secret := range []string{"SECRET", "opaque-session-token-1", "ECHOED"} {
		if lines := logs.lines(secret); len(lines) > 0 {
			t.Errorf("%d log lines carry %q, first: %s", len(lines), secret, lines[0])
		}
	}
}
