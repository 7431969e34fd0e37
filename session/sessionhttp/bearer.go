package sessionhttp

import (
	"net/http"
	"strings"

	"github.com/authgate/authgate/internal/headername"
	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier/credential"
)

// The gateway's own session credentials (the session cookie, and session
// tokens sent as Authorization Bearer) are for the gateway alone: no app
// behind it needs them, and one that logs or forwards request headers
// would leak a credential that works on every route of the gateway.

var errAmbiguous = credential.Malformed("session cookie and session bearer token in one request")

// Ambiguous rejects, as malformed, a request that carries both the session
// cookie and a session token as Authorization Bearer: two session
// credentials in one request, like a duplicated credential, leave it to
// each reader to pick one. It returns nil otherwise.
func (e *Endpoints) Ambiguous(r *http.Request) error {
	if !hasSessionBearer(r.Header) {
		return nil
	}
	for _, c := range r.CookiesNamed(e.cfg.Cookie.Name) {
		if c.Value != "" {
			return errAmbiguous
		}
	}
	return nil
}

// hasSessionBearer reports whether h carries a session token as
// Authorization Bearer, in any folded spelling.
func hasSessionBearer(h http.Header) bool {
	for name, values := range h {
		if !headername.Equal(name, session.BearerSource.Name) {
			continue
		}
		for _, v := range values {
			if isSessionBearer(v) {
				return true
			}
		}
	}
	return false
}

// isSessionBearer reports whether an Authorization value is the Bearer
// scheme (any case) followed, after any spaces or tabs, by a token in the
// session format. It is looser than credential.ParseHeader on purpose: a
// badly framed session token must not slip upstream either.
func isSessionBearer(value string) bool {
	value = strings.TrimLeft(value, " \t")
	scheme := session.BearerSource.Scheme
	if len(value) <= len(scheme) || !strings.EqualFold(value[:len(scheme)], scheme) {
		return false
	}
	rest := value[len(scheme):]
	if rest[0] != ' ' && rest[0] != '\t' {
		return false
	}
	return session.HasTokenPrefix(strings.TrimLeft(rest, " \t"))
}

// holdsSessionToken reports whether an Authorization value holds a token
// in the session format as one of its fields (separated by spaces, tabs,
// commas or "=", the separators of RFC 9110 credentials): Bearer framed
// well or not, no scheme, another scheme, an auth-param, or after another
// credential. Such a header authenticates nothing but the session, and
// must not reach an app whatever its framing.
func holdsSessionToken(value string) bool {
	fields := strings.FieldsFunc(value, func(c rune) bool { return c == ' ' || c == '\t' || c == ',' || c == '=' })
	for _, f := range fields {
		if session.HasTokenPrefix(strings.Trim(f, `"`)) {
			return true
		}
	}
	return false
}

// bearerCopies returns the session tokens r carries as Authorization
// Bearer, every well-framed copy (see credential.Copies), for logout to
// end.
func bearerCopies(r *http.Request) ([]string, error) {
	values, err := credential.Copies(r, session.BearerSource)
	if err != nil {
		return nil, err
	}
	out := values[:0]
	for _, v := range values {
		if session.HasTokenPrefix(v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// The values of an exchange's "return" option.
const (
	returnCookie = "cookie"
	returnToken  = "token"
)

// Reasons an exchange's "return" option is refused (400).
const (
	reasonBearerOff     = "bearer_disabled"
	reasonUnknownReturn = "unknown_return"
)

// refusedReturn returns why an exchange's "return" option is refused, or
// "" when it is fine: "token" needs bearer on, and no other value exists.
func (e *Endpoints) refusedReturn(ret string) string {
	switch {
	case ret == "" || ret == returnCookie:
		return ""
	case ret != returnToken:
		return reasonUnknownReturn
	case !e.cfg.Bearer:
		return reasonBearerOff
	}
	return ""
}

// answerToken answers an exchange that asked for the session token in the
// body: 201 with the session and "session_token", and no cookie. A session
// cookie the request carried was revoked with the rest; it is cleared, or
// the browser would send it next to the bearer token (refused as
// ambiguous).
func (e *Endpoints) answerToken(w http.ResponseWriter, r *http.Request, token string, s *session.Session) error {
	if e.cfg.Cookie.Token(r) != "" {
		e.cfg.Cookie.Clear(w)
	}
	view := sessionView(s)
	view["session_token"] = token
	return writeValue(w, r, http.StatusCreated, view)
}
