package oidclogin

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/authgate/authgate/verifier/credential"
)

const (
	// maxLoginCookieBytes bounds a login-state cookie value; longer ones
	// are refused before decoding.
	maxLoginCookieBytes = 4096
	// maxLoginCookies is how many logins may be in flight in one browser
	// (tabs); starting one more clears the others.
	maxLoginCookies = 8
)

// errLoginState is any login-state cookie that cannot be trusted: missing,
// tampered, expired, or for another login.
var errLoginState = errors.New("login state cookie is missing, invalid or expired")

// LoginState is what a login in progress remembers between the redirect
// to the provider and the callback. It travels in a cookie, sealed.
type LoginState struct {
	Provider string    `json:"p"` // the provider's name
	State    string    `json:"s"` // the state parameter
	Nonce    string    `json:"n"` // the nonce the ID token must carry
	Verifier string    `json:"v"` // PKCE code verifier
	Callback string    `json:"c"` // redirect_uri sent to the provider
	Return   string    `json:"r"` // where to go after login
	Expires  time.Time `json:"e"` // the end of the login's time at the provider
}

// Codec seals login states with AES-256-GCM: authenticated encryption, so
// a cookie can be neither read nor altered without the key. The cookie's
// name is bound in as additional data, so a value cannot be moved to
// another login's cookie. It also keys the login-loop marker. Instances
// that share the key accept each other's callbacks.
type Codec struct {
	aead    cipher.AEAD
	loopKey []byte // MAC key of the login-loop marker
	now     func() time.Time
}

// NewCodec returns the codec of a 32-byte key (AES-256).
func NewCodec(key []byte) (*Codec, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("creating login-state cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("creating login-state cipher: %w", err)
	}
	return &Codec{aead: aead, loopKey: deriveKey(key, "authgate login-loop marker v1"), now: time.Now}, nil
}

// Seal encodes ls as the value of the cookie called name.
func (c *Codec) Seal(name string, ls *LoginState) (string, error) {
	plain, err := json.Marshal(ls)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, c.aead.NonceSize(), c.aead.NonceSize()+len(plain)+c.aead.Overhead())
	_, _ = rand.Read(nonce)
	v := base64.RawURLEncoding.EncodeToString(c.aead.Seal(nonce, nonce, plain, []byte(name)))
	if len(v) > maxLoginCookieBytes {
		return "", errors.New("sealing login state: cookie would exceed its size cap")
	}
	return v, nil
}

// Open decodes the value of the cookie called name. Anything but an
// unexpired state sealed by this key for this name is errLoginState.
func (c *Codec) Open(name, value string) (*LoginState, error) {
	if len(value) > maxLoginCookieBytes {
		return nil, errLoginState
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(value)
	if err != nil || len(raw) < c.aead.NonceSize()+c.aead.Overhead() {
		return nil, errLoginState
	}
	ns := c.aead.NonceSize()
	plain, err := c.aead.Open(nil, raw[:ns], raw[ns:], []byte(name))
	if err != nil {
		return nil, errLoginState
	}
	var ls LoginState
	if json.Unmarshal(plain, &ls) != nil || !c.now().Before(ls.Expires) {
		return nil, errLoginState
	}
	return &ls, nil
}

// randomString returns 32 random bytes in base64url: state and nonce values.
func randomString() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// loginCookies names and sets the per-login cookies. Each login has its
// own cookie, named after a hash of its state, so logins in several tabs
// do not overwrite each other.
type loginCookies struct {
	prefix string // __Host-authgate_login_ or authgate_login_
	secure bool
}

func newLoginCookies(secure bool) loginCookies {
	if secure {
		return loginCookies{prefix: "__Host-" + CookieMark + "_", secure: true}
	}
	return loginCookies{prefix: CookieMark + "_"}
}

// CookieName is the name of the login-state cookie of the login with the
// given state, Secure or not.
func CookieName(state string, secure bool) string {
	return newLoginCookies(secure).name(state)
}

// name is the cookie of the login with the given state.
func (lc loginCookies) name(state string) string {
	sum := sha256.Sum256([]byte(state))
	return lc.prefix + hex.EncodeToString(sum[:8])
}

func (lc loginCookies) set(w http.ResponseWriter, name, value string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: int(ttl / time.Second),
		HttpOnly: true, Secure: lc.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (lc loginCookies) clear(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: lc.secure, SameSite: http.SameSiteLaxMode,
	})
}

// clearExcess clears every login cookie of r when it already carries
// maxLoginCookies of them, so abandoned logins cannot pile up.
func (lc loginCookies) clearExcess(w http.ResponseWriter, r *http.Request) {
	var names []string
	for _, c := range r.Cookies() {
		if strings.HasPrefix(c.Name, lc.prefix) {
			names = append(names, c.Name)
		}
	}
	if len(names) < maxLoginCookies {
		return
	}
	for _, n := range names {
		lc.clear(w, n)
	}
}

// CookieMark is in the names of the login-state cookies, Secure or not,
// and of the login-loop marker: such cookies are the gateway's business
// and never reach the app.
const CookieMark = "authgate_login"

// StripCookies keeps the gateway's login-state cookies (and the
// login-loop marker) from the app: they are the gateway's business, and a
// few of them could push the app past its header size limit.
func StripCookies(r *http.Request) {
	for _, v := range r.Header.Values("Cookie") {
		if strings.Contains(v, CookieMark) {
			credential.RemoveCookies(r, func(name string) bool { return strings.Contains(name, CookieMark) })
			return
		}
	}
}
