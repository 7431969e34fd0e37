package caddymodule

import (
	"errors"
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/authgate/authgate/claims"
	"github.com/authgate/authgate/forward"
	"github.com/authgate/authgate/internal/firewall"
	"github.com/authgate/authgate/oidclogin"
	"github.com/authgate/authgate/session/sessionhttp"
	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/credential"
)

// ServeHTTP runs the request through strip → extract → verify → evaluate →
// forward, and writes the refusal itself when a step says no.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	d := new(decision)
	defer h.decided(r, d)
	h.headers.StripInbound(r.Header)
	if s := h.deps.sessions; s != nil {
		sessionhttp.RestoreCarried(r) // what an authgate handler before this one took off
		// The session credentials leave this handler removed whatever it
		// answers: the handlers before share the headers, and an
		// intercept proxying a refusal, or handle_errors, reads them.
		defer s.http.Remove(r)
	}
	if rule := h.rejectedPath(r); rule != "" {
		return h.refusePath(w, r, d, rule)
	}
	if h.headers.AnnouncesProtectedTrailer(r) {
		return h.refuseTrailer(w, r, d)
	}
	h.headers.GuardTrailers(r)
	if ep, ok := h.endpointFor(r); ok {
		return ep(h, w, r)
	}
	if h.AllowPreflight && isPreflight(r) {
		d.set(OutcomeAllowed, reasonPreflight)
		r = h.keepOnly(r, nil, false)
		return next.ServeHTTP(w, r)
	}
	id, err := h.authenticate(r, &d.trace)
	if errors.Is(err, verifier.ErrNoCredential) && h.Optional {
		d.set(OutcomeAllowed, string(verifier.ReasonMissingCredential))
		r = h.keepOnly(r, nil, false)
		return next.ServeHTTP(w, r)
	}
	if err != nil {
		return h.refuse(w, r, d, err)
	}
	d.identify(id)
	id, denial, err := h.policy.Evaluate(r.Context(), id)
	if err != nil {
		return h.refuse(w, r, d, err)
	}
	if denial != nil && !denial.Soft() {
		publishUser(r, id) // the access log names who was refused
		return h.refuse(w, r, d, denial)
	}
	d.set(OutcomeAllowed, "")
	r = h.forward(r, id)
	// Only validators in pass mode failed, here or in a handler before.
	if fs := softFailures(r, denial); len(fs) > 0 {
		r = passSoftly(r, d, fs)
	}
	return next.ServeHTTP(w, r)
}

// reasonPreflight is the reason logged for a CORS preflight let through
// without a credential.
const reasonPreflight = "preflight"

// authenticate extracts the request's credential and verifies it.
// What the verifiers did goes to trace, if not nil.
func (h *Handler) authenticate(r *http.Request, trace *verifier.Trace) (*verifier.Identity, error) {
	cred, v, err := credential.Extract(r, h.routes)
	if err != nil {
		return nil, err
	}
	if err := h.ambiguous(r); err != nil {
		return nil, err
	}
	if len(cred.Value) > h.deps.maxTokenBytes {
		return nil, verifier.Reject(verifier.ReasonTooLarge, nil)
	}
	if h.deps.noteClientIP != nil {
		h.deps.noteClientIP(r)
	}
	ctx := clientContext(r)
	if trace != nil {
		ctx = verifier.WithTrace(ctx, trace)
	}
	id, err := v.Verify(ctx, cred)
	if errors.Is(err, verifier.ErrNotResponsible) {
		// Declared here, not above: errors.As makes it escape, and an
		// accepted request should not pay for its allocation.
		var rejected *verifier.RejectedError
		if !errors.As(err, &rejected) {
			return nil, verifier.Reject(verifier.ReasonBadIssuer, err)
		}
	}
	return id, err
}

// ambiguous refuses a request carrying both session credentials (the
// cookie and a session token as Bearer); nil without sessions.
func (h *Handler) ambiguous(r *http.Request) error {
	if s := h.deps.sessions; s != nil {
		return s.http.Ambiguous(r)
	}
	return nil
}

// keepOnly removes the route's credentials but the accepted one (every
// one with strip), and always the gateway's own session credentials, from
// the upstream request. It returns r carrying the session credentials for
// a later authgate handler on the same request.
func (h *Handler) keepOnly(r *http.Request, accepted *verifier.Source, strip bool) *http.Request {
	if s := h.deps.sessions; s != nil {
		r = s.http.StripUpstream(r, h.routes, accepted)
	}
	if strip {
		credential.Strip(r, h.routes)
	}
	credential.KeepOnlyAccepted(r, h.routes, accepted)
	return r
}

// forward publishes the identity to the upstream request and placeholders,
// and returns the request to pass on.
func (h *Handler) forward(r *http.Request, id *verifier.Identity) *http.Request {
	forward.Apply(r.Header, h.deps.headers, id, h.assertAud)
	r = h.keepOnly(r, credential.Accepted(r, h.routes), h.StripCredentials)
	if h.deps.logins.Len() > 0 {
		oidclogin.StripCookies(r)
	}
	repl := publishUser(r, id)
	if repl == nil {
		return r
	}
	idClaims := id.Claims
	repl.Map(func(key string) (any, bool) {
		name, ok := strings.CutPrefix(key, "http.auth.user.")
		if !ok {
			return nil, false
		}
		v, ok := idClaims[name]
		if !ok {
			return nil, false
		}
		return claims.FormatHeaderValue(v), true
	})
	return r
}

// publishUser sets the placeholders naming the identity's user and
// session, which Caddy's access log reads as user_id, and returns the
// request's replacer (nil if it has none). Placeholders end up in headers
// (request_header, header_up) and the access log: they get the header
// encoding, as the identity headers do.
func publishUser(r *http.Request, id *verifier.Identity) *caddy.Replacer {
	repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	if !ok {
		return nil
	}
	repl.Set("http.auth.user.id", claims.EscapeHeaderString(id.Subject))
	if id.SessionID != "" {
		repl.Set("http.auth.session.id", claims.EscapeHeaderString(id.SessionID))
	}
	return repl
}

// rejectedPath returns the first firewall rule (reject_paths) the request's
// path breaks, or "". It checks the path as the client sent it (before
// Caddy's rewrites and before percent-decoding) and, when rewritten, the
// current one, which goes upstream.
func (h *Handler) rejectedPath(r *http.Request) string {
	if len(h.RejectPaths) == 0 {
		return ""
	}
	orig := originalURL(r)
	target := r.RequestURI
	if or, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request); ok && or.RequestURI != "" {
		target = or.RequestURI
	}
	paths := []string{firewall.RawPath(target, orig.EscapedPath())}
	if r.URL.Path != orig.Path {
		paths = append(paths, r.URL.EscapedPath())
	}
	return firewall.Rules(h.RejectPaths).Rejected(paths...)
}

// isPreflight reports whether r is a CORS preflight request.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" &&
		r.Header.Get("Access-Control-Request-Method") != ""
}
