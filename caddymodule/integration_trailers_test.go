package caddymodule

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Identity headers smuggled as request trailers (issue 11, item 1): a
// chunked request announces a harmless trailer and sends X-Auth-User-Id
// and X-Auth-Roles after the last chunk, or announces the identity header
// itself. The upstream reports every trailer it received.

const trailerSite = `{
	admin off
	storage file_system {STORAGE}
	servers {
		protocols h1 h2c
	}
	authgate {
		dev
		header X-Auth-User-Id {sub}
		header X-Auth-Roles {claims.roles}
		header X-Legacy-User {sub}
	}
}
http://127.0.0.1:{PORT} {
	authgate
	reverse_proxy {UPSTREAM}
}
`

// trailerEcho is what the trailer-reporting upstream saw.
type trailerEcho struct {
	Body    string
	Header  http.Header
	Trailer http.Header
}

// trailerUpstream reads the whole body (so that the server merges the
// trailers) and answers with the body, headers and trailers it received.
func trailerUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(trailerEcho{string(body), r.Header, r.Trailer})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func startTrailerGateway(t *testing.T) *gateway {
	t.Helper()
	up := trailerUpstream(t)
	return startGateway(t, strings.ReplaceAll(trailerSite, "{UPSTREAM}", up.URL))
}

// rawChunked sends a chunked POST over a raw socket with the given extra
// header lines and trailer lines, and returns the status and the echo.
func (g *gateway) rawChunked(headers, trailers []string) (int, trailerEcho) {
	g.t.Helper()
	return g.rawChunkedPath("/up", headers, trailers)
}

// rawChunkedPath is rawChunked to another path.
func (g *gateway) rawChunkedPath(path string, headers, trailers []string) (int, trailerEcho) {
	g.t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(g.base, "http://"), 5*time.Second)
	if err != nil {
		g.t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	b.WriteString("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n")
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n5\r\nhello\r\n0\r\n")
	for _, tr := range trailers {
		b.WriteString(tr + "\r\n")
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		g.t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		g.t.Fatalf("reading response: %v", err)
	}
	return decodeTrailerEcho(g.t, resp)
}

func decodeTrailerEcho(t *testing.T, resp *http.Response) (int, trailerEcho) {
	t.Helper()
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var echo trailerEcho
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, &echo); err != nil {
			t.Fatalf("decoding echo %q: %v", data, err)
		}
	} else if !strings.Contains(string(data), `"reason"`) {
		t.Fatalf("status %d without a reason body: %q", resp.StatusCode, data)
	}
	return resp.StatusCode, echo
}

// wantNoForgedTrailer fails when an identity name reached the upstream as a
// trailer, in any spelling.
func wantNoForgedTrailer(t *testing.T, echo trailerEcho) {
	t.Helper()
	for name, values := range echo.Trailer {
		folded := foldHeaderName(name)
		if strings.HasPrefix(folded, "x-auth-") || folded == "x-legacy-user" {
			t.Errorf("forged trailer reached the upstream: %s: %q", name, values)
		}
	}
	if got := echo.Header.Get("X-Auth-Roles"); got == "admin" {
		t.Errorf("forged roles reached the upstream headers")
	}
}

func TestIdentityTrailersNeverReachUpstreamOverHTTP1(t *testing.T) {
	g := startTrailerGateway(t)
	authz := "Authorization: Bearer " + g.mint("alice", "roles=editor")
	forged := []string{"X-Foo: ok", "X-Auth-User-Id: evil", "X-Auth-Roles: admin", "X_Legacy_User: evil"}

	t.Run("undeclared identity trailers after a declared one are dropped", func(t *testing.T) {
		status, echo := g.rawChunked([]string{authz, "Trailer: X-Foo"}, forged)
		if status != http.StatusOK {
			t.Fatalf("status = %d, want 200", status)
		}
		wantNoForgedTrailer(t, echo)
		if echo.Trailer.Get("X-Foo") != "ok" || echo.Body != "hello" {
			t.Errorf("the legitimate trailer or body was lost: %+v", echo)
		}
		if got := echo.Header.Get("X-Auth-User-Id"); got != "alice" {
			t.Errorf("X-Auth-User-Id = %q, want alice", got)
		}
	})
	t.Run("undeclared identity trailers alone are dropped", func(t *testing.T) {
		status, echo := g.rawChunked([]string{authz}, forged[1:])
		if status != http.StatusOK {
			t.Fatalf("status = %d, want 200", status)
		}
		wantNoForgedTrailer(t, echo)
	})
	for _, declared := range []string{"X-Auth-User-Id", "x_auth_user_id", "X-Foo, X-AUTH-ROLES", "X-Legacy-User", "Authorization", "Cookie"} {
		t.Run("announcing "+declared+" is refused", func(t *testing.T) {
			status, _ := g.rawChunked([]string{authz, "Trailer: " + declared}, forged)
			if status != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400", status)
			}
		})
	}
}

func TestIdentityTrailersNeverReachUpstreamOverHTTP2(t *testing.T) {
	g := startTrailerGateway(t)
	tok := g.mint("alice", "roles=editor")
	protocols := new(http.Protocols)
	protocols.SetUnencryptedHTTP2(true)
	send := func(trailer http.Header) (int, trailerEcho) {
		t.Helper()
		// A connection per request: a refused request leaves its body
		// unread, and a stream that follows on the same connection can
		// race the server's handling of it; that race is not under test.
		transport := &http.Transport{Protocols: protocols, TLSClientConfig: &tls.Config{}}
		defer transport.CloseIdleConnections()
		client := &http.Client{Timeout: 10 * time.Second, Transport: transport}
		declared := http.Header{}
		for name := range trailer {
			declared[name] = nil
		}
		pr, pw := io.Pipe()
		req, err := http.NewRequest("POST", g.base+"/up", pr)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Trailer = declared
		go func() {
			_, _ = io.WriteString(pw, "hello")
			for name, v := range trailer {
				req.Trailer[name] = v // filled in before EOF, sent after the body
			}
			pw.Close()
		}()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("h2c request: %v", err)
		}
		if resp.ProtoMajor != 2 {
			t.Fatalf("protocol %s, want HTTP/2", resp.Proto)
		}
		return decodeTrailerEcho(t, resp)
	}

	t.Run("a declared harmless trailer passes", func(t *testing.T) {
		status, echo := send(http.Header{"X-Foo": {"ok"}})
		if status != http.StatusOK || echo.Trailer.Get("X-Foo") != "ok" {
			t.Fatalf("status %d, trailers %v; want 200 with X-Foo", status, echo.Trailer)
		}
		wantNoForgedTrailer(t, echo)
	})
	for _, name := range []string{"X-Auth-User-Id", "X_auth_roles", "X-Legacy-User"} {
		t.Run("announcing "+name+" is refused", func(t *testing.T) {
			status, echo := send(http.Header{"X-Foo": {"ok"}, name: {"evil"}})
			if status != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400 (trailers seen: %v)", status, echo.Trailer)
			}
		})
	}
}
