package caddymodule

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/authgate/authgate/oidclogin"
)

// Names of oidclogin that the black-box OIDC tests look for.
const (
	loginCookieMark           = oidclogin.CookieMark
	loginLoopCookie           = oidclogin.CookieMark + "s"
	reasonProviderUnavailable = string(oidclogin.ReasonProviderUnavailable)
	reasonInvalidState        = "invalid_state"
	reasonStateReused         = "state_reused"
	reasonProviderError       = "provider_error"
	reasonCodeRejected        = "code_rejected"
	reasonInvalidIDToken      = "invalid_id_token"
	reasonNonceMismatch       = "nonce_mismatch"
	reasonUnknownProvider     = "unknown_provider"
	reasonLoginLoop           = "login_loop"
	reasonUnknownHost         = "unknown_host"
	reasonOriginMismatch      = "origin_mismatch"
	// discoveryRetry is the least time between two discovery attempts of
	// a provider that cannot be reached (oidclogin's discoveryRetry).
	discoveryRetry = 2 * time.Second
)

// randomString returns 32 random bytes in base64url, as login states are.
func randomString() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// testLoginCodec is the gateway's login-state codec, as tests use it.
type testLoginCodec struct{ c *oidclogin.Codec }

// loadLoginCodec reads the gateway's login-state key from its storage.
func loadLoginCodec(ctx context.Context, st *certmagic.FileStorage) (testLoginCodec, error) {
	c, err := openLoginCodec(ctx, st)
	return testLoginCodec{c}, err
}

func (t testLoginCodec) open(name, value string) (*oidclogin.LoginState, error) {
	return t.c.Open(name, value)
}

func (t testLoginCodec) seal(name string, ls *oidclogin.LoginState) (string, error) {
	return t.c.Seal(name, ls)
}

func (t testLoginCodec) loopMAC(count int, issued int64) string { return t.c.LoopMAC(count, issued) }

// testLoginCookies names login-state cookies, as tests use them.
type testLoginCookies struct{ secure bool }

func newLoginCookies(secure bool) testLoginCookies { return testLoginCookies{secure} }

func (t testLoginCookies) name(state string) string { return oidclogin.CookieName(state, t.secure) }
