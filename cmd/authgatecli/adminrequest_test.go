package authgatecli

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// hostileAdmin serves h on a loopback address: what a stuck Caddy, or
// something else on the admin port, could answer. h returns when its
// request ends or when done is closed, at the end of the test.
func hostileAdmin(t *testing.T, h func(w http.ResponseWriter, r *http.Request, done <-chan struct{})) string {
	t.Helper()
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(w, r, done) }))
	t.Cleanup(func() {
		close(done)
		srv.Close()
	})
	return strings.TrimPrefix(srv.URL, "http://")
}

// The admin commands give up on an admin endpoint that never answers, or
// answers too slowly or too much, and quote an error answer short and
// without control characters: an error (exit 1) within --timeout, never a
// hang or a flooded terminal.
func TestAdminCommandsSurviveAHostileAdminEndpoint(t *testing.T) {
	hung := hostileAdmin(t, func(w http.ResponseWriter, r *http.Request, done <-chan struct{}) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	})
	slowBody := hostileAdmin(t, func(w http.ResponseWriter, r *http.Request, done <-chan struct{}) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		for {
			if _, err := w.Write([]byte(" ")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
	huge := hostileAdmin(t, func(w http.ResponseWriter, r *http.Request, done <-chan struct{}) {
		w.Header().Set("Content-Type", "application/json")
		chunk := []byte(strings.Repeat(" ", 64<<10))
		for range 1 << 10 { // 64 MiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	loudError := hostileAdmin(t, func(w http.ResponseWriter, r *http.Request, done <-chan struct{}) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("\x1b]0;owned\x07\x1b[2J" + strings.Repeat("x", 1<<20)))
	})
	// A listener that accepts and never reads.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	mute := l.Addr().String()

	commands := map[string]func(addr, timeout string) (string, error){
		"health": func(addr, timeout string) (string, error) {
			return runHealth("--address", addr, "--timeout", timeout)
		},
		"health --ready": func(addr, timeout string) (string, error) {
			return runHealth("--ready", "--address", addr, "--timeout", timeout)
		},
		"sessions list": func(addr, timeout string) (string, error) {
			return run(sessionsListCommand(), "--user", "bob", "--address", addr, "--timeout", timeout)
		},
		"revoke": func(addr, timeout string) (string, error) {
			return run(revokeCommand(), "--sub", "bob", "--address", addr, "--timeout", timeout)
		},
	}
	// The endpoints that answer get time enough to be read to the limit on
	// a loaded machine.
	endpoints := []struct{ name, addr, timeout, want string }{
		{"never answers", hung, "500ms", "did not answer within 500ms"},
		{"accepts and never reads", mute, "500ms", "did not answer within 500ms"},
		{"trickles its body", slowBody, "500ms", "did not answer within 500ms"},
		{"answers 64 MiB", huge, "20s", "over"},
		{"answers an error with escapes and 1 MiB", loudError, "20s", "HTTP 503"},
	}
	for name, cmd := range commands {
		for _, ep := range endpoints {
			t.Run(name+"/"+ep.name, func(t *testing.T) {
				start := time.Now()
				out, err := cmd(ep.addr, ep.timeout)
				if d := time.Since(start); ep.timeout == "500ms" && d > 3*time.Second {
					t.Errorf("took %v", d)
				}
				if err == nil || !strings.Contains(err.Error(), ep.want) {
					t.Fatalf("error %.200v, want one containing %q", err, ep.want)
				}
				if len(err.Error()) > maxErrorText+100 || strings.ContainsAny(err.Error()+out, "\x1b\x07") {
					t.Fatalf("error of %d bytes (escapes: %v): %.200q", len(err.Error()), strings.ContainsAny(err.Error(), "\x1b\x07"), err)
				}
			})
		}
	}
	if _, err := runHealth("--address", hung, "--timeout", "0s"); err == nil || !strings.Contains(err.Error(), "--timeout must be positive") {
		t.Fatalf("--timeout 0: %v", err)
	}
}
