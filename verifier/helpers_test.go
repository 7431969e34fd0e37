package verifier_test

import (
	"context"
	"crypto"
	"strconv"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/verifiertest"
)

// testNow is the fixed clock of table tests; tokens are minted around it.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	corpIss     = "https://idp.example.com/"
	partnerIss  = "https://partner.example.com/"
	internalIss = "internal"
	freshIss    = "https://fresh.example.com/"
)

// fixture is a router over four verifiers: corp (remote JWKS with an
// encryption key next to its signing keys), partner (a static EC key, any
// audience, subject template), internal (HMAC) and fresh (max age 5m).
type fixture struct {
	jwks       *verifiertest.Server
	partnerKey *verifiertest.Key
	secret     []byte
	router     *verifier.JWTRouter
	corp       *verifier.JWTVerifier
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{
		jwks:       verifiertest.NewServer(verifiertest.WithEncKey()),
		partnerKey: verifiertest.NewECKey("partner-1"),
		secret:     []byte("0123456789abcdef0123456789abcdef"),
	}
	t.Cleanup(f.jwks.Close)
	remote := newRemote(t, verifier.RemoteKeyOptions{URL: f.jwks.URL})
	partnerKeys := verifier.NewStaticKeySource([]crypto.PublicKey{f.partnerKey.Public()})
	f.corp = newJWT(t, verifier.JWTConfig{Name: "corp", Issuer: corpIss, Audiences: []string{"app", "other"},
		Algorithms: verifier.RemoteDefaultAlgorithms, Leeway: 30 * time.Second, Keys: remote})
	vs := []*verifier.JWTVerifier{f.corp,
		newJWT(t, verifier.JWTConfig{Name: "partner", Issuer: partnerIss, AnyAudience: true, SubjectTemplate: "partner:{sub}",
			Algorithms: verifier.DefaultAlgorithms([]crypto.PublicKey{f.partnerKey.Public()}), Keys: partnerKeys}),
		newJWT(t, verifier.JWTConfig{Name: "internal", Issuer: internalIss, Audiences: []string{"app"},
			Algorithms: []string{"HS256"}, Keys: verifier.NewHMACKeySource(f.secret)}),
		newJWT(t, verifier.JWTConfig{Name: "fresh", Issuer: freshIss, Audiences: []string{"app"}, MaxAge: 5 * time.Minute,
			Algorithms: []string{"ES256"}, Keys: partnerKeys}),
	}
	r, err := verifier.NewJWTRouter(vs, verifier.RouterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f.router = r
	return f
}

// newRemote starts a remote key source that stops with the test.
func newRemote(t *testing.T, opts verifier.RemoteKeyOptions) *verifier.RemoteKeySource {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	src, err := verifier.NewRemoteKeySource(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// newJWT builds a verifier on the fixed test clock.
func newJWT(t *testing.T, cfg verifier.JWTConfig) *verifier.JWTVerifier {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	v, err := verifier.NewJWTVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// std returns valid claims for iss, changed by name/value pairs; a nil
// value removes the claim.
func std(iss string, kv ...any) map[string]any {
	c := map[string]any{
		"iss": iss, "sub": "alice", "aud": "app", "jti": "token-1",
		"iat": unix(testNow.Add(-time.Minute)), "exp": unix(testNow.Add(time.Hour)),
	}
	for i := 0; i+1 < len(kv); i += 2 {
		name := kv[i].(string)
		if kv[i+1] == nil {
			delete(c, name)
			continue
		}
		c[name] = kv[i+1]
	}
	return c
}

func unix(t time.Time) float64 { return float64(t.Unix()) }

func bearer(token string) verifier.Credential {
	return verifier.Credential{Source: verifier.Source{Kind: verifier.SourceHeader, Name: "Authorization", Scheme: "Bearer"}, Value: token}
}

// wantReason fails unless err is a rejection or unavailability with reason.
func wantReason(t *testing.T, err error, want verifier.Reason) {
	t.Helper()
	if err == nil {
		t.Fatalf("got success, want reason %q", want)
	}
	if got := verifier.ReasonOf(err); got != want {
		t.Fatalf("got reason %q (%v), want %q", got, err, want)
	}
}

// eventually polls cond every 10ms for at most d.
func eventually(t *testing.T, d time.Duration, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

// deep returns a value nested n levels deep.
func deep(n int) any {
	var v any = "leaf"
	for range n {
		v = map[string]any{"a": v}
	}
	return v
}

// many returns a claim object with n members.
func many(n int) map[string]any {
	m := make(map[string]any, n)
	for i := range n {
		m["c"+strconv.Itoa(i)] = i
	}
	return m
}
