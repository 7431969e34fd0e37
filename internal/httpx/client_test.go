package httpx

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestNewClientDoesNotFollowRedirects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			t.Error("the redirect was followed")
		}
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	for _, base := range []*http.Client{nil, srv.Client()} {
		resp, err := NewClient(base, time.Second).Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTemporaryRedirect {
			t.Fatalf("status %d, want the 307 itself", resp.StatusCode)
		}
	}
}

func TestNewClientKeepsTheShorterTimeout(t *testing.T) {
	tests := []struct {
		name          string
		base, timeout time.Duration
		want          time.Duration
	}{
		{"no base timeout takes the given one", 0, time.Second, time.Second},
		{"a shorter base timeout is kept", time.Millisecond, time.Second, time.Millisecond},
		{"a longer base timeout is cut", time.Minute, time.Second, time.Second},
		{"no given timeout keeps the base's", time.Minute, 0, time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := &http.Client{Timeout: tc.base}
			if got := NewClient(base, tc.timeout).Timeout; got != tc.want {
				t.Fatalf("Timeout = %v, want %v", got, tc.want)
			}
			if base.CheckRedirect != nil {
				t.Fatal("base was modified")
			}
		})
	}
}

func TestNewTransportKeepsIdleConnectionsPerHost(t *testing.T) {
	if tr := NewTransport(512); tr.MaxIdleConnsPerHost != 512 || tr.MaxIdleConns < 512 {
		t.Fatalf("per host %d, total %d; want 512 and at least 512", tr.MaxIdleConnsPerHost, tr.MaxIdleConns)
	}
}
