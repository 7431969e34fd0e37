package verifier_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"

	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/verifiertest"
)

// errLog collects OnRefreshError reports.
type errLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errLog) add(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

func (l *errLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.errs)
}

func (l *errLog) last() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) == 0 {
		return nil
	}
	return l.errs[len(l.errs)-1]
}

// remoteVerifier returns a corp verifier over a remote source for url.
func remoteVerifier(t *testing.T, opts verifier.RemoteKeyOptions) *verifier.JWTVerifier {
	t.Helper()
	return newJWT(t, verifier.JWTConfig{Name: "corp", Issuer: corpIss, Audiences: []string{"app"},
		Algorithms: verifier.RemoteDefaultAlgorithms, Keys: newRemote(t, opts)})
}

func verifyWith(t *testing.T, v verifier.Verifier, token string) error {
	t.Helper()
	_, err := v.Verify(t.Context(), bearer(token))
	return err
}

// oddKeys are fixed JWKs a JWKS may carry that cannot verify signatures:
// unsupported kty and curves, an unregistered use, unknown or non-verify
// key_ops, a point off its curve, bad base64, an HMAC secret, a 1024-bit
// RSA key, an x5u over http and a non-string kty.
func oddKeys(t *testing.T) []json.RawMessage {
	t.Helper()
	raw, err := os.ReadFile("testdata/odd_jwks_keys.json")
	if err != nil {
		t.Fatal(err)
	}
	var keys []json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestRemoteKeySourceSkipsKeysItCannotUse(t *testing.T) {
	srv := verifiertest.NewServer(verifiertest.WithEncKey(), verifiertest.WithExtraJWKs(oddKeys(t)...))
	t.Cleanup(srv.Close)
	var log errLog
	v := remoteVerifier(t, verifier.RemoteKeyOptions{URL: srv.URL, OnRefreshError: log.add})

	for _, alg := range verifiertest.Algs {
		if err := verifyWith(t, v, srv.Key(alg).Mint(std(corpIss))); err != nil {
			t.Errorf("%s token next to odd keys: %v", alg, err)
		}
	}
	wantReason(t, verifyWith(t, v, srv.EncKey().Mint(std(corpIss))), verifier.ReasonUnknownKey)
	if log.count() != 0 {
		t.Fatalf("odd keys must be skipped silently, got refresh error %v", log.last())
	}
}

// TestJWKSetAloneRejectsOddSets pins why jwksTransport filters keys: jwkset
// v0.11.3 refuses the whole set when one key fails validation. If this test
// starts failing after an upgrade, the filter may be simplified.
func TestJWKSetAloneRejectsOddSets(t *testing.T) {
	for _, kid := range []string{"weird-use", "unknown-key-ops", "off-curve", "bad-base64", "x5u-over-http"} {
		t.Run("a set holding key "+kid, func(t *testing.T) {
			var odd json.RawMessage
			for _, k := range oddKeys(t) {
				if strings.Contains(string(k), `"`+kid+`"`) {
					odd = k
				}
			}
			body := `{"keys":[` + string(odd) + `]}`
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write([]byte(body))
			}))
			t.Cleanup(srv.Close)
			_, err := jwkset.NewStorageFromHTTP(srv.URL, jwkset.HTTPClientStorageOptions{HTTPTimeout: time.Second})
			if err == nil {
				t.Fatal("jwkset accepted the set; the filter in jwksTransport may no longer be needed")
			}
		})
	}
}

func TestRemoteKeySourcePicksUpRotationAtOnce(t *testing.T) {
	srv := verifiertest.NewServer()
	t.Cleanup(srv.Close)
	v := remoteVerifier(t, verifier.RemoteKeyOptions{URL: srv.URL})
	old := srv.Key("RS256").Mint(std(corpIss))
	if err := verifyWith(t, v, old); err != nil {
		t.Fatal(err)
	}
	srv.Rotate()
	if err := verifyWith(t, v, srv.Key("RS256").Mint(std(corpIss))); err != nil {
		t.Fatalf("token of the rotated key: %v", err)
	}
	if got := srv.Fetches(); got != 2 {
		t.Fatalf("got %d fetches, want the first one and one unknown-kid refresh", got)
	}
	wantReason(t, verifyWith(t, v, old), verifier.ReasonUnknownKey)
}

func TestUnknownKIDFloodIsBoundedByTheBucket(t *testing.T) {
	srv := verifiertest.NewServer()
	t.Cleanup(srv.Close)
	const refill = 300 * time.Millisecond
	v := remoteVerifier(t, verifier.RemoteKeyOptions{URL: srv.URL, UnknownKIDBurst: 3, UnknownKIDRefill: refill, RateLimitWaitMax: 50 * time.Millisecond})
	if err := verifyWith(t, v, srv.Key("ES256").Mint(std(corpIss))); err != nil {
		t.Fatal(err)
	}
	attacker := verifiertest.NewECKey("x")
	flood := func(n int) {
		for i := range n {
			tok := attacker.MintHeader(map[string]any{"kid": "made-up-" + strconv.Itoa(i)}, std(corpIss))
			wantReason(t, verifyWith(t, v, tok), verifier.ReasonUnknownKey)
		}
	}
	start := time.Now()
	flood(50)
	if got := srv.Fetches(); got != 1+3 {
		t.Fatalf("after a flood of 50 unknown kids got %d fetches, want 4 (first + the burst of 3)", got)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("flood took %v; requests must not queue on the limiter", took)
	}

	// A rotation right after the burst: the next refill loads the new key.
	srv.Rotate()
	rotated := srv.Key("ES256").Mint(std(corpIss))
	rotatedAt := time.Now()
	if !eventually(t, refill+time.Second, func() bool { return verifyWith(t, v, rotated) == nil }) {
		t.Fatalf("rotated key refused %v after the rotation: %v", time.Since(rotatedAt), verifyWith(t, v, rotated))
	}
	if took := time.Since(rotatedAt); took > refill+200*time.Millisecond {
		t.Fatalf("rotated key accepted after %v, want within one refill (%v)", took, refill)
	}
}

func TestKeysKeepWorkingWhileTheJWKSIsDown(t *testing.T) {
	srv := verifiertest.NewServer()
	t.Cleanup(srv.Close)
	var log errLog
	v := remoteVerifier(t, verifier.RemoteKeyOptions{URL: srv.URL, RefreshInterval: 20 * time.Millisecond, OnRefreshError: log.add})
	// The first fetch runs in the background: let it load the keys.
	if err := verifyWith(t, v, srv.Key("RS256").Mint(std(corpIss))); err != nil {
		t.Fatal(err)
	}
	srv.Down(true)
	if !eventually(t, 2*time.Second, func() bool { return log.count() >= 2 }) {
		t.Fatal("background refresh errors were not reported")
	}
	for _, alg := range verifiertest.Algs {
		if err := verifyWith(t, v, srv.Key(alg).Mint(std(corpIss))); err != nil {
			t.Errorf("%s token during the outage: %v", alg, err)
		}
	}
	if err := log.last(); !strings.Contains(err.Error(), srv.URL) {
		t.Errorf("refresh error %q does not name the JWKS URL", err)
	}
}

func TestJWKSDownFromStartIsUnavailableUntilItRecovers(t *testing.T) {
	srv := verifiertest.NewServer()
	t.Cleanup(srv.Close)
	srv.Down(true)
	var log errLog
	start := time.Now()
	// A refill of an hour and a burst of one, spent on the first token:
	// recovery must not wait for the bucket while no key has ever loaded
	// (the empty set is retried once per second).
	v := remoteVerifier(t, verifier.RemoteKeyOptions{URL: srv.URL, UnknownKIDBurst: 1, UnknownKIDRefill: time.Hour, OnRefreshError: log.add})
	if took := time.Since(start); took > time.Second {
		t.Fatalf("start took %v with the JWKS down", took)
	}
	if !eventually(t, 2*time.Second, func() bool { return log.count() > 0 }) {
		t.Fatal("the failed first fetch was not reported")
	}
	token := srv.Key("ES256").Mint(std(corpIss))
	err := verifyWith(t, v, token)
	wantReason(t, err, verifier.ReasonKeysUnavailable)
	if un := (*verifier.UnavailableError)(nil); !errors.As(err, &un) {
		t.Fatalf("got %T, want *UnavailableError (503, not 401)", err)
	}
	wantReason(t, verifyWith(t, v, srv.Key("ES256").MintHeader(map[string]any{"kid": nil}, std(corpIss))), verifier.ReasonKeysUnavailable)

	srv.Down(false)
	if !eventually(t, 3*time.Second, func() bool { return verifyWith(t, v, token) == nil }) {
		t.Fatalf("keys never loaded after recovery: %v", verifyWith(t, v, token))
	}
}

func TestJWKSBodyOverTheCapIsRefused(t *testing.T) {
	srv := verifiertest.NewServer()
	t.Cleanup(srv.Close)
	var log errLog
	v := remoteVerifier(t, verifier.RemoteKeyOptions{URL: srv.URL, MaxBodyBytes: 512, OnRefreshError: log.add})
	wantReason(t, verifyWith(t, v, srv.Key("RS256").Mint(std(corpIss))), verifier.ReasonKeysUnavailable)
	if err := log.last(); err == nil || !strings.Contains(err.Error(), "larger than 512 bytes") {
		t.Fatalf("got refresh error %v, want the body cap", err)
	}
}

func TestSlowJWKSDoesNotHoldUpStart(t *testing.T) {
	keys := verifiertest.NewServer()
	t.Cleanup(keys.Close)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		resp, err := http.Get(keys.URL)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(srv.Close)
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	t.Cleanup(open)

	start := time.Now()
	v := remoteVerifier(t, verifier.RemoteKeyOptions{URL: srv.URL, HTTPTimeout: 10 * time.Second})
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Fatalf("start took %v with the JWKS hanging, want no wait", took)
	}
	token := keys.Key("ES256").Mint(std(corpIss))
	asked := time.Now()
	wantReason(t, verifyWith(t, v, token), verifier.ReasonKeysUnavailable)
	if took := time.Since(asked); took > 2*time.Second {
		t.Fatalf("a request waited %v for the first fetch, want about RateLimitWaitMax", took)
	}
	open()
	if !eventually(t, 3*time.Second, func() bool { return verifyWith(t, v, token) == nil }) {
		t.Fatalf("keys never loaded once the endpoint answered: %v", verifyWith(t, v, token))
	}
}

func TestBackgroundRefreshStopsWithItsContext(t *testing.T) {
	srv := verifiertest.NewServer()
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := verifier.NewRemoteKeySource(ctx, verifier.RemoteKeyOptions{URL: srv.URL, RefreshInterval: 10 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if !eventually(t, 2*time.Second, func() bool { return srv.Fetches() >= 3 }) {
		t.Fatal("background refresh did not run")
	}
	cancel()
	time.Sleep(30 * time.Millisecond)
	stopped := srv.Fetches()
	time.Sleep(60 * time.Millisecond)
	if got := srv.Fetches(); got != stopped {
		t.Fatalf("refresh went on after cancel: %d fetches, then %d", stopped, got)
	}
}

func TestNewRemoteKeySourceRequiresAURL(t *testing.T) {
	if _, err := verifier.NewRemoteKeySource(t.Context(), verifier.RemoteKeyOptions{}); err == nil {
		t.Fatal("want an error for an empty URL")
	}
}
