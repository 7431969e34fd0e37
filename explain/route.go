package explain

import (
	"net/http"

	"github.com/authgate/authgate/forward"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/policy/checkhttp"
	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/credential"
)

// Route is what an explanation uses of one provisioned authgate handler:
// the same values its ServeHTTP uses, shared and read-only.
type Route struct {
	// Sources are the route's credential sources and their verifiers.
	Sources []credential.Route
	// Policy is the route's merged policy (global validators first).
	Policy *policy.Policy
	// Headers are the identity headers set upstream, and AssertionAudience
	// the audience of a signed assertion among them.
	Headers           []forward.Mapping
	AssertionAudience string
	Optional          bool
	AllowPreflight    bool
	MaxTokenBytes     int
	// LoginOIDC names the route's OpenID login (`login oidc NAME`); "" for
	// none. Its challenge starts a login (state, budgets): never run.
	LoginOIDC string
	// Ambiguous refuses a request carrying two session credentials (the
	// session cookie and a session token as Bearer); nil without sessions.
	Ambiguous func(r *http.Request) error
	// RejectedPath returns the firewall rule the request's path breaks, or
	// "" (reject_paths).
	RejectedPath func(r *http.Request) string
	// Endpoint reports whether the request is for one of the gateway's own
	// endpoints, which the handler serves before authenticating.
	Endpoint func(r *http.Request) bool
	// Challenged reports whether the handler answers err on r with the
	// route's login challenge (a browser navigation a login can fix).
	Challenged func(r *http.Request, err error) bool
	// Refuse writes the handler's response for err, exactly as ServeHTTP
	// would; it is never called for an OIDC login challenge.
	Refuse func(w http.ResponseWriter, r *http.Request, err error) error
	// Check is the check endpoint the route serves, at CheckPath; nil when
	// it serves none (endpoints off). IsCheck reports whether a request is
	// for it, and RefuseScript writes its response for err (as Refuse,
	// but never a login challenge: the endpoint is for scripts).
	Check        *checkhttp.Endpoint
	CheckPath    string
	IsCheck      func(r *http.Request) bool
	RefuseScript func(w http.ResponseWriter, r *http.Request, err error) error
}

// verifierName is how an explanation names a verifier of a credential
// source: JWTs are routed by issuer behind the identity cache ("jwt"),
// edge sessions are "session", others have names of their own.
func verifierName(v verifier.Verifier) string {
	switch x := v.(type) {
	case *verifier.Cached:
		return "jwt"
	case *session.Verifier:
		return session.VerifierName
	case interface{ Name() string }:
		return x.Name()
	}
	return ""
}
