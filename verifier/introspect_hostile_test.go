package verifier_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
)

func TestHostileAnswersNeverPass(t *testing.T) {
	c := newClock()
	deepClaims, _ := json.Marshal(map[string]any{"session": map[string]any{"user_id": "u", "custom_claims": deep(20)}})
	manyClaims, _ := json.Marshal(map[string]any{"session": map[string]any{"user_id": "u", "custom_claims": many(300)}})
	cases := []struct {
		name  string
		reply http.HandlerFunc
		want  verifier.Reason
	}{
		{"a body over the cap", raw(`{"session":{"user_id":"u","pad":"` + strings.Repeat("x", 300<<10) + `"}}`), verifier.ReasonIntrospectionUnavailable},
		{"an endless body", func(w http.ResponseWriter, _ *http.Request) {
			chunk := []byte(strings.Repeat(" ", 64<<10))
			for range 64 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, verifier.ReasonIntrospectionUnavailable},
		{"nesting deeper than the JSON decoder allows", raw(strings.Repeat("[", 20000) + strings.Repeat("]", 20000)), verifier.ReasonIntrospectionUnavailable},
		{"claims nested deeper than the claim limit", raw(string(deepClaims)), verifier.ReasonIntrospectionUnavailable},
		{"more claims than the claim limit", raw(string(manyClaims)), verifier.ReasonIntrospectionUnavailable},
		{"an array instead of an object", raw(`[{"session":{"user_id":"u"}}]`), verifier.ReasonIntrospectionUnavailable},
		{"null", raw(`null`), verifier.ReasonIntrospectionUnavailable},
		{"a bare string", raw(`"u"`), verifier.ReasonIntrospectionUnavailable},
		{"an empty body", raw(``), verifier.ReasonIntrospectionUnavailable},
		{"HTML", raw(`<html>login</html>`), verifier.ReasonIntrospectionUnavailable},
		{"trailing garbage", raw(`{"session":{"user_id":"u"}} {"session":{"user_id":"admin"}}`), verifier.ReasonIntrospectionUnavailable},
		{"a truncated object", raw(`{"session":{"user_id":"u"`), verifier.ReasonIntrospectionUnavailable},
		{"a subject that is an object", raw(`{"session":{"user_id":{"id":"u"}}}`), verifier.ReasonInactive},
		{"a subject that is an array", raw(`{"session":{"user_id":["admin"]}}`), verifier.ReasonInactive},
		{"a subject that is null", raw(`{"session":{"user_id":null}}`), verifier.ReasonInactive},
		{"a session that is a string", raw(`{"session":"user_id"}`), verifier.ReasonInactive},
		{"an expiry beyond year 9999", raw(`{"session":{"user_id":"u","expires_at":1e300}}`), verifier.ReasonIntrospectionUnavailable},
		{"a negative expiry", raw(`{"session":{"user_id":"u","expires_at":-1}}`), verifier.ReasonIntrospectionUnavailable},
		{"a subject with CR LF", raw(`{"session":{"user_id":"u\r\nX-Admin: 1"}}`), verifier.ReasonMalformed},
		{"a subject with NUL", raw(`{"session":{"user_id":"u\u0000"}}`), verifier.ReasonMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := newSessionService(t, tc.reply)
			v := newIntrospect(t, stytchConfig(svc.URL, c))
			id, err := v.Verify(context.Background(), cookieCred("session_token", "tok"))
			wantRefused(t, id, err, tc.want)
		})
	}
}

func TestCredentialsThatCannotBeTokensCostNoCall(t *testing.T) {
	c := newClock()
	svc := newSessionService(t, answer(200, stytchSession("u", c.Now().Add(time.Hour))))
	cookieFwd := &verifier.Source{Kind: verifier.SourceCookie, Name: "sid"}
	cases := []struct {
		name    string
		token   string
		forward *verifier.Source
		want    verifier.Reason
	}{
		{"an empty credential", "", nil, verifier.ReasonMalformed},
		{"a space", "abc def", nil, verifier.ReasonMalformed},
		{"a control character", "abc\x01def", nil, verifier.ReasonMalformed},
		{"a CR LF header split", "abc\r\nX-Admin: 1", nil, verifier.ReasonMalformed},
		{"non-ASCII bytes", "tök", nil, verifier.ReasonMalformed},
		{"DEL", "abc\x7f", nil, verifier.ReasonMalformed},
		{"over the size cap", strings.Repeat("a", 8193), nil, verifier.ReasonTooLarge},
		{"a semicolon that would add a cookie to a forwarded one", "abc;admin=1", cookieFwd, verifier.ReasonMalformed},
		{"a quote in a forwarded cookie", `abc"`, cookieFwd, verifier.ReasonMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := stytchConfig(svc.URL, c)
			cfg.Forward = tc.forward
			v := newIntrospect(t, cfg)
			before := svc.calls.Load()
			id, err := v.Verify(context.Background(), cookieCred("session_token", tc.token))
			wantRefused(t, id, err, tc.want)
			if n := svc.calls.Load() - before; n != 0 {
				t.Fatalf("%d calls, want none", n)
			}
			if tc.want == verifier.ReasonMalformed && !errors.Is(err, verifier.ErrNotResponsible) {
				t.Fatalf("a credential that is not this service's must let a chain go on: %v", err)
			}
		})
	}
	t.Run("a token with every visible ASCII character is sent", func(t *testing.T) {
		v := newIntrospect(t, stytchConfig(svc.URL, c))
		var b strings.Builder
		for ch := byte(0x21); ch <= 0x7e; ch++ {
			b.WriteByte(ch)
		}
		if _, err := v.Verify(context.Background(), cookieCred("session_token", b.String())); err != nil {
			t.Fatal(err)
		}
		if got := svc.last().json["session_token"]; got != b.String() {
			t.Fatalf("service saw %q", got)
		}
	})
}

func TestErrorsNeverCarryTheToken(t *testing.T) {
	const secret = "super-secret-session-token"
	c := newClock()
	down := newSessionService(t, answer(200, nil))
	down.Close()
	for _, reply := range []http.HandlerFunc{answer(500, nil), raw(`{"session":`), answer(200, map[string]any{"session": map[string]any{"user_id": "u", "expires_at": "x"}})} {
		svc := newSessionService(t, reply)
		for _, url := range []string{svc.URL, down.URL} {
			v := newIntrospect(t, stytchConfig(url, c))
			_, err := v.Verify(context.Background(), cookieCred("session_token", secret))
			if err == nil || strings.Contains(err.Error(), secret) {
				t.Fatalf("error %v must exist and not contain the token", err)
			}
		}
	}
}
