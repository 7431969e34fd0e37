package sessionhttp

import (
	"context"
	"net/http"
	"slices"

	"github.com/authgate/authgate/internal/headername"
	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/credential"
)

// A Caddyfile may stack authgate handlers on one request (a site-wide one,
// then one in a handle or route block). Each removes the session
// credentials before passing the request on, so the next one would find
// none and answer 401 to a request whose session the first accepted. What
// a handler removes travels in the request context, which a client cannot
// reach; the next handler puts it back before reading any credential and
// removes it again before passing on. It reads what the client sent, as
// the first handler did, under the same duplicate and framing rules; an
// upstream never sees it, and no header a client sends adds to it.

// carriedKey is the request-context key of the session credentials the
// last authgate handler removed.
type carriedKey struct{}

// carried holds removed session credentials as the client sent them: the
// session cookie's pairs (joined by "; "), and the Authorization headers
// by spelling.
type carried struct {
	cookies string
	headers http.Header
}

// StripUpstream removes the gateway's session credentials from a request
// about to be passed on: every cookie that reaches an app as the session
// cookie, and every Authorization header (in any folded spelling) that
// holds a session token (holdsSessionToken), framed well or not. It runs
// whatever the route's strip_credentials says, and returns r carrying
// what it removed for a later authgate handler (see RestoreCarried) as
// far as carries allows (accepted is the source the handler accepted,
// nil if none).
func (e *Endpoints) StripUpstream(r *http.Request, routes []credential.Route, accepted *verifier.Source) *http.Request {
	c := e.remove(r)
	if !carries(routes, accepted, verifier.Source{Kind: verifier.SourceCookie, Name: e.cfg.Cookie.Name}) {
		c.cookies = ""
	}
	if !carries(routes, accepted, session.BearerSource) {
		c.headers = nil
	}
	if c.cookies == "" && c.headers == nil {
		if _, ok := r.Context().Value(carriedKey{}).(*carried); !ok {
			return r
		}
	}
	return r.WithContext(&carriedContext{Context: r.Context(), c: c})
}

// carriedContext is context.WithValue(parent, carriedKey{}, &c) in one
// allocation instead of two (the value and the context), on every
// request that passes a session on.
type carriedContext struct {
	context.Context
	c carried
}

// Value returns the carried credentials for carriedKey, and asks the
// parent for any other key.
func (ctx *carriedContext) Value(key any) any {
	if _, ok := key.(carriedKey); ok {
		return &ctx.c
	}
	return ctx.Context.Value(key)
}

// carries reports whether a session credential from src may go on to a
// later handler: the one the handler accepted, or, when it accepted none
// (an anonymous optional request, a preflight), one from a source it
// does not read, which goes on as if the handler had not removed it. A
// handler that accepted a credential carries no other: a request checked
// as one subject (a JWT) is not passed on with a credential of another
// (a session sent with it) that none of this handler's rules applied to.
func carries(routes []credential.Route, accepted *verifier.Source, src verifier.Source) bool {
	same := func(s verifier.Source) bool {
		if s.Kind != src.Kind {
			return false
		}
		if s.Kind == verifier.SourceCookie {
			return s.Name == src.Name
		}
		return headername.Equal(s.Name, src.Name)
	}
	if accepted != nil {
		return same(*accepted)
	}
	return !slices.ContainsFunc(routes, func(r credential.Route) bool { return same(r.Source) })
}

// remove deletes the session credentials from r's headers and returns
// them as sent.
func (e *Endpoints) remove(r *http.Request) carried {
	c := carried{cookies: credential.RemoveCookies(r, credential.CookieNamed(e.cfg.Cookie.Name))}
	for name, values := range r.Header {
		if headername.Equal(name, session.BearerSource.Name) && slices.ContainsFunc(values, holdsSessionToken) {
			if c.headers == nil {
				c.headers = http.Header{}
			}
			c.headers[name] = values
			delete(r.Header, name)
		}
	}
	return c
}

// RestoreCarried puts back into r the session credentials an earlier
// authgate handler on the same request removed, as the client sent them,
// and reports whether it put back any; it does nothing on a request no
// handler passed on. The handlers before share r's headers: the caller
// must remove them again (Remove) however it returns.
func RestoreCarried(r *http.Request) bool {
	c, ok := r.Context().Value(carriedKey{}).(*carried)
	if !ok {
		return false
	}
	if c.cookies != "" {
		r.Header.Add("Cookie", c.cookies)
	}
	for name, values := range c.headers {
		r.Header[name] = append(r.Header[name], slices.Clone(values)...)
	}
	return len(c.cookies) > 0 || len(c.headers) > 0
}

// Remove deletes the session credentials from r's headers. A handler
// calls it when it returns, whatever it answered: the handlers before it
// hold the same header map, and one of them may still send a request the
// handler refused or answered itself on (an intercept proxying the
// refusal, handle_errors, placeholders), which must find the session
// credentials removed, as from any request passed on.
func (e *Endpoints) Remove(r *http.Request) {
	e.remove(r)
}
