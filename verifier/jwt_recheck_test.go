package verifier_test

import (
	"context"
	"crypto"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/verifiertest"
)

// recheckFixture is a local-first JWT verifier (max age 5m) whose older
// tokens are confirmed by a Stytch-like session service, on one test clock.
type recheckFixture struct {
	clock *clock
	key   *verifiertest.Key
	svc   *sessionService
	jwt   *verifier.JWTVerifier
	cache *verifier.IdentityCache
}

// newRecheckFixture builds the fixture; the service answers for "alice"
// until the clock's start plus an hour, unless reply is given.
func newRecheckFixture(t *testing.T, recheckExpired bool, maxAge time.Duration) *recheckFixture {
	t.Helper()
	f := &recheckFixture{clock: newClock(), key: verifiertest.NewECKey("k1"), cache: newCache(t)}
	f.svc = newSessionService(t, answer(200, stytchSession("alice", f.clock.Now().Add(time.Hour))))
	cfg := stytchConfig(f.svc.URL, f.clock)
	cfg.Name, cfg.TokenField = "stytch_jwt", "session_jwt"
	rechecker := newIntrospect(t, cfg)
	keys := []crypto.PublicKey{f.key.Public()}
	f.jwt = newJWT(t, verifier.JWTConfig{Name: "stytch", Issuer: corpIss, Audiences: []string{"app"}, MaxAge: maxAge,
		Algorithms: verifier.DefaultAlgorithms(keys), Keys: verifier.NewStaticKeySource(keys),
		Recheck: rechecker, RecheckExpired: recheckExpired, Now: f.clock.Now})
	return f
}

// token mints a token issued age ago, valid for life from issuance.
func (f *recheckFixture) token(age, life time.Duration, kv ...any) string {
	iat := f.clock.Now().Add(-age)
	return f.key.Mint(std(corpIss, append([]any{"iat", unix(iat), "exp", unix(iat.Add(life))}, kv...)...))
}

func TestLocalFirstJWTs(t *testing.T) {
	cases := []struct {
		name           string
		recheckExpired bool
		maxAge         time.Duration
		age, life      time.Duration
		extra          []any
		reply          http.HandlerFunc
		wantReason     verifier.Reason
		wantCalls      int64
	}{
		{name: "a token younger than max_age makes no call", maxAge: 5 * time.Minute, age: time.Minute, life: time.Hour, wantCalls: 0},
		{name: "an older token is confirmed remotely", maxAge: 5 * time.Minute, age: 10 * time.Minute, life: time.Hour, wantCalls: 1},
		{name: "without max_age every token is confirmed", age: time.Second, life: time.Hour, wantCalls: 1},
		{name: "an older token whose session is gone is inactive", maxAge: 5 * time.Minute, age: 10 * time.Minute, life: time.Hour,
			reply: answer(401, nil), wantReason: verifier.ReasonInactive, wantCalls: 1},
		{name: "an answer for another subject is refused", maxAge: 5 * time.Minute, age: 10 * time.Minute, life: time.Hour,
			reply: answer(200, stytchSession("mallory", testNow.Add(time.Hour))), wantReason: verifier.ReasonInactive, wantCalls: 1},
		{name: "a service that is down fails closed", maxAge: 5 * time.Minute, age: 10 * time.Minute, life: time.Hour,
			reply: answer(503, nil), wantReason: verifier.ReasonIntrospectionUnavailable, wantCalls: 1},
		{name: "an expired token is refused without a call by default", maxAge: 5 * time.Minute, age: 2 * time.Hour, life: time.Hour,
			wantReason: verifier.ReasonTokenExpired, wantCalls: 0},
		{name: "an expired token is confirmed with recheck_expired", recheckExpired: true, maxAge: 5 * time.Minute, age: 2 * time.Hour, life: time.Hour, wantCalls: 1},
		{name: "an expired token for another audience is refused without a call", recheckExpired: true, maxAge: 5 * time.Minute, age: 2 * time.Hour, life: time.Hour,
			extra: []any{"aud", "other"}, wantReason: verifier.ReasonBadAudience, wantCalls: 0},
		{name: "an old token without iat stays too_old without a call", maxAge: 5 * time.Minute, life: time.Hour,
			extra: []any{"iat", nil}, wantReason: verifier.ReasonTooOld, wantCalls: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newRecheckFixture(t, tc.recheckExpired, tc.maxAge)
			if tc.reply != nil {
				f.svc.setReply(tc.reply)
			}
			tok := f.token(tc.age, tc.life, tc.extra...)
			id, err := f.jwt.Verify(context.Background(), bearer(tok))
			if tc.wantReason == "" {
				checkOutcome(t, id, err, "alice", "")
			} else {
				wantRefused(t, id, err, tc.wantReason)
			}
			if n := f.svc.calls.Load(); n != tc.wantCalls {
				t.Fatalf("%d remote calls, want %d", n, tc.wantCalls)
			}
			if tc.wantCalls == 1 && f.svc.last().json["session_jwt"] != tok {
				t.Fatal("the re-check must send the JWT itself")
			}
		})
	}
}

func TestRecheckedIdentitiesAreBoundedByTheAnswer(t *testing.T) {
	f := newRecheckFixture(t, true, 5*time.Minute)
	now := f.clock.Now()
	fresh, err := f.jwt.Verify(context.Background(), bearer(f.token(time.Minute, time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Add(4 * time.Minute); !fresh.ValidUntil.Equal(want) {
		t.Errorf("fresh token valid until %v, want iat+max_age %v", fresh.ValidUntil, want)
	}
	old, err := f.jwt.Verify(context.Background(), bearer(f.token(10*time.Minute, 10*time.Minute+10*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Add(10 * time.Second); !old.ValidUntil.Equal(want) {
		t.Errorf("rechecked token valid until %v, want its exp %v (before now+cache_ttl)", old.ValidUntil, want)
	}
	expired, err := f.jwt.Verify(context.Background(), bearer(f.token(2*time.Hour, time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Add(30 * time.Second); !expired.ValidUntil.Equal(want) {
		t.Errorf("rechecked expired token valid until %v, want now+cache_ttl %v", expired.ValidUntil, want)
	}
	if old.Claims["jti"] != "token-1" || old.Verifier != "stytch" {
		t.Errorf("a rechecked identity keeps the token's claims and verifier: %+v", old)
	}
}

// TestLocalFirstCallCounts drives one token through the identity cache, as
// the gateway does, for a while on the test clock, and counts remote calls:
// none while the token is younger than max_age, then one per cache period.
func TestLocalFirstCallCounts(t *testing.T) {
	f := newRecheckFixture(t, false, 5*time.Minute)
	cached := verifier.NewCached(f.jwt, f.cache, verifier.CacheOptions{Group: "g", Now: f.clock.Now})
	tok := f.token(0, time.Hour)
	verifyAt := func(d time.Duration) {
		t.Helper()
		f.clock.advance(d)
		if _, err := cached.Verify(context.Background(), bearer(tok)); err != nil {
			t.Fatalf("at +%v: %v", d, err)
		}
		f.cache.Wait()
	}
	// Ten requests per second of clock for the first 5 minutes: all local.
	for range 3000 {
		verifyAt(100 * time.Millisecond)
	}
	if n := f.svc.calls.Load(); n != 0 {
		t.Fatalf("fresh token: %d remote calls, want 0", n)
	}
	fresh := f.svc.calls.Load()
	// The next 5 minutes (10 cache periods of 30s): one call per period.
	for range 3000 {
		verifyAt(100 * time.Millisecond)
	}
	old := f.svc.calls.Load() - fresh
	if old < 10 || old > 11 {
		t.Fatalf("old token over 10 cache periods: %d remote calls, want 10 (11 when a period straddles the start)", old)
	}
	t.Logf("local-first: %d remote calls in 3000 requests while fresh, %d in 3000 requests over 10 cache periods of 30s", fresh, old)
}

func TestRecheckExpiredNeedsRecheck(t *testing.T) {
	k := verifiertest.NewECKey("k")
	keys := []crypto.PublicKey{k.Public()}
	_, err := verifier.NewJWTVerifier(verifier.JWTConfig{Name: "x", Issuer: corpIss, AnyAudience: true,
		Algorithms: verifier.DefaultAlgorithms(keys), Keys: verifier.NewStaticKeySource(keys), RecheckExpired: true})
	if err == nil || !strings.Contains(err.Error(), "recheck") {
		t.Fatalf("err = %v, want a recheck error", err)
	}
}
