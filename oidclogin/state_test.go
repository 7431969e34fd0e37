package oidclogin

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func testCodec(t testing.TB, keyByte byte) *Codec {
	t.Helper()
	c, err := NewCodec(bytes.Repeat([]byte{keyByte}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLoginStateOpensOnlyWhatItSealed(t *testing.T) {
	c := testCodec(t, 1)
	ls := &LoginState{Provider: "corp", State: "s1", Nonce: "n1", Verifier: "v1", Callback: "https://app/cb", Return: "/x", Expires: time.Now().Add(time.Minute)}
	const name = "__Host-authgate_login_abc"
	sealed, err := c.Seal(name, ls)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Open(name, sealed)
	if err != nil || got.State != "s1" || got.Nonce != "n1" || got.Verifier != "v1" || got.Return != "/x" || got.Provider != "corp" {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(sealed)
	flipped := bytes.Clone(raw)
	flipped[len(flipped)/2] ^= 1
	expired := *ls
	expired.Expires = time.Now().Add(-time.Second)
	oldSealed, _ := c.Seal(name, &expired)
	cases := map[string]struct {
		codec       *Codec
		name, value string
	}{
		"a flipped bit":                     {c, name, base64.RawURLEncoding.EncodeToString(flipped)},
		"another login's cookie name":       {c, "__Host-authgate_login_other", sealed},
		"another key":                       {testCodec(t, 2), name, sealed},
		"an expired state":                  {c, name, oldSealed},
		"not base64":                        {c, name, "%%%"},
		"too short":                         {c, name, "AAAA"},
		"empty":                             {c, name, ""},
		"over the size cap":                 {c, name, strings.Repeat("A", maxLoginCookieBytes+1)},
		"plain JSON the client could forge": {c, name, base64.RawURLEncoding.EncodeToString([]byte(`{"p":"corp","s":"s1"}`))},
	}
	for what, tc := range cases {
		if _, err := tc.codec.Open(tc.name, tc.value); err != errLoginState {
			t.Errorf("%s: want errLoginState, got %v", what, err)
		}
	}
}

func TestLoginCookieNamesDifferPerLogin(t *testing.T) {
	lc := newLoginCookies(true)
	a, b := lc.name(randomString()), lc.name(randomString())
	if a == b || !strings.HasPrefix(a, "__Host-authgate_login_") {
		t.Fatalf("names %q and %q", a, b)
	}
	if !strings.HasPrefix(newLoginCookies(false).name("x"), "authgate_login_") {
		t.Fatal("insecure cookies must not use the __Host- prefix")
	}
}

// FuzzLoginState feeds arbitrary cookie values to the login-state decoder:
// it must never panic and never accept a value it did not seal.
func FuzzLoginState(f *testing.F) {
	c := testCodec(f, 1)
	good, _ := c.Seal("n", &LoginState{State: "s", Expires: time.Now().Add(time.Hour)})
	f.Add(good)
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, value string) {
		// Seeds are sealed anew in each fuzzing process, so the test cannot
		// compare with good: whatever opens must be a state sealed here.
		ls, err := c.Open("n", value)
		if err == nil && ls.State != "s" {
			t.Fatalf("accepted a value it did not seal: %+v", ls)
		}
	})
}
