package oidclogin

import "net/http"

// Reason is the stable code of a login failure: it is the reason of the
// JSON body and of the error page, and what an Observer is told.
type Reason string

// Observer receives what logins do, for metrics and logs. It is given
// configured provider names and the Reason codes of this package only,
// never a user, a state or a token. Methods are called on the request path,
// possibly from many goroutines at once, and must be quick. A nil Observer
// reports nothing.
type Observer interface {
	// LoginStarted reports a browser sent to provider to sign in.
	LoginStarted(provider string)
	// LoginCompleted reports a callback that ended in an edge session.
	LoginCompleted(provider string)
	// LoginFailed reports a login that could not start, or whose callback
	// failed, with the reason it was answered. provider is empty when the
	// request named none that is configured (unknown_provider).
	LoginFailed(provider string, reason Reason)
}

// noObserver is the Observer of a Set given none.
type noObserver struct{}

func (noObserver) LoginStarted(string)        {}
func (noObserver) LoginCompleted(string)      {}
func (noObserver) LoginFailed(string, Reason) {}

// observer returns the Set's Observer, never nil.
func (s *Set) observer() Observer {
	if s.deps.Observer == nil {
		return noObserver{}
	}
	return s.deps.Observer
}

// fail answers a login of p that cannot go on (see Set.fail) and
// reports it.
func (p *Provider) fail(w http.ResponseWriter, r *http.Request, status int, reason Reason, cause error) {
	p.set.observer().LoginFailed(p.cfg.Name, reason)
	p.set.fail(w, r, status, reason, cause)
}
