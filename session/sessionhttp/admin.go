package sessionhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/authgate/authgate/internal/jsonnum"
	"github.com/authgate/authgate/session"
)

// AdminSessions is what the admin API needs of the session manager
// (*session.Manager implements it).
type AdminSessions interface {
	Create(ctx context.Context, ns session.NewSession) (string, *session.Session, error)
	List(ctx context.Context, userID string) ([]*session.Session, error)
	Get(ctx context.Context, id string) (*session.Session, error)
	Revoke(ctx context.Context, id string) (*session.Session, error)
	RevokeUser(ctx context.Context, userID string) (int, error)
	SetClaim(ctx context.Context, id, name string, value any) error
	DeleteClaim(ctx context.Context, id, name string) error
	Deny(ctx context.Context, d session.Denial) (int, error)
}

// Admin serves the admin API of edge sessions: sessions under
// /authgate/sessions (create, list, show, revoke, set or remove a claim) and the
// IdP-JWT deny-list under /authgate/revocations. Build it with NewAdmin.
type Admin struct {
	sessions  AdminSessions
	fetchable func(claim string) bool
	audit     Audit
}

// Audit records one admin call that changed state, once it succeeded: r
// is the admin request (its peer says who), action says what (for
// example "session.revoke"), and kv are key-value pairs of ids as in
// log/slog: session ids, the user or subject, a claim's name, a jti. It
// is never given a token or a claim's value.
type Audit func(r *http.Request, action string, kv ...any)

// NewAdmin returns the admin API over sessions. fetchable reports whether
// a claim (a top-level name, or a path inside one) has a claim source:
// such claims are subject-scoped and refreshed, so setting one per
// session is refused; nil means no claim has one. audit records each
// change; nil records nothing.
func NewAdmin(sessions AdminSessions, fetchable func(claim string) bool, audit Audit) *Admin {
	if fetchable == nil {
		fetchable = func(string) bool { return false }
	}
	if audit == nil {
		audit = func(*http.Request, string, ...any) {}
	}
	return &Admin{sessions: sessions, fetchable: fetchable, audit: audit}
}

// APIError is a refused admin call: the status to answer with and why,
// a fixed text that never holds a token.
type APIError struct {
	Status int
	Err    error
}

func (e *APIError) Error() string { return e.Err.Error() }

// Unwrap returns the reason.
func (e *APIError) Unwrap() error { return e.Err }

// maxAdminBytes caps admin request bodies.
const maxAdminBytes = 64 << 10

// CheckAdminRequest refuses what a browser could send: an Origin header,
// or a content type other than JSON (which a cross-origin page cannot
// send without a preflight the admin API never answers). A GET or DELETE
// with neither body nor Content-Type passes: a page cannot send a
// cross-origin DELETE without that preflight nor read a cross-origin GET's
// answer, so the header would protect nothing there, and plain `curl -X
// DELETE` works. The error is an *APIError.
func CheckAdminRequest(r *http.Request) error {
	if r.Header.Get("Origin") != "" {
		return apiError(http.StatusForbidden, "authgate admin calls must not carry an Origin header")
	}
	if bodilessRead(r) {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return apiError(http.StatusUnsupportedMediaType, "authgate admin calls must be Content-Type: application/json")
	}
	return nil
}

// bodilessRead reports a GET or DELETE that carries no body (no length,
// no chunked encoding) and no Content-Type.
func bodilessRead(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodDelete) &&
		r.ContentLength == 0 && len(r.TransferEncoding) == 0 && r.Header.Get("Content-Type") == ""
}

// Serve routes an admin call that passed CheckAdminRequest. Refusals are
// returned as *APIError for the caller to write; a store failure is a 503.
func (a *Admin) Serve(w http.ResponseWriter, r *http.Request) error {
	c := &adminCall{admin: a, w: w, r: r}
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case path == "/authgate/revocations":
		return c.revocations()
	case path == "/authgate/sessions":
		return c.sessions()
	}
	parts, ok := pathParts(r, "/authgate/sessions/")
	if !ok {
		return apiError(http.StatusNotFound, "resource not found")
	}
	switch {
	case len(parts) == 1:
		return c.session(parts[0])
	case len(parts) == 3 && parts[1] == "claims" && parts[2] != "":
		return c.claim(parts[0], parts[2])
	}
	return apiError(http.StatusNotFound, "resource not found")
}

// pathParts splits the escaped path below prefix and unescapes each
// segment, so a namespaced claim name may hold an escaped "/" (%2F).
func pathParts(r *http.Request, prefix string) ([]string, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSuffix(r.URL.EscapedPath(), "/"), prefix)
	if !ok {
		return nil, false
	}
	parts := strings.Split(rest, "/")
	for i, p := range parts {
		u, err := url.PathUnescape(p)
		if err != nil {
			return nil, false
		}
		parts[i] = u
	}
	return parts, true
}

// adminCall is one admin request.
type adminCall struct {
	admin *Admin
	w     http.ResponseWriter
	r     *http.Request
}

func (a *adminCall) decode(v any) error {
	data, err := io.ReadAll(io.LimitReader(a.r.Body, maxAdminBytes+1))
	if err != nil || len(data) > maxAdminBytes {
		return apiError(http.StatusBadRequest, "request body is unreadable or too large")
	}
	if err := jsonnum.Unmarshal(data, v); err != nil {
		return apiError(http.StatusBadRequest, "request body is not valid JSON: "+err.Error())
	}
	return nil
}

func (a *adminCall) reply(status int, v any) error {
	a.w.Header().Set("Content-Type", "application/json")
	a.w.Header().Set("Cache-Control", "no-store")
	a.w.WriteHeader(status)
	if v == nil {
		return nil
	}
	return json.NewEncoder(a.w).Encode(v)
}

// storeError maps a store failure to an API error.
func storeError(err error) error {
	switch {
	case errors.Is(err, session.ErrNoClaim):
		return apiError(http.StatusNotFound, "no such claim")
	case errors.Is(err, session.ErrNotFound):
		return apiError(http.StatusNotFound, "no such session")
	case errors.Is(err, session.ErrReservedClaim):
		return apiError(http.StatusBadRequest, err.Error())
	}
	return &APIError{Status: http.StatusServiceUnavailable, Err: fmt.Errorf("session store: %w", err)}
}

func apiError(status int, msg string) error {
	return &APIError{Status: status, Err: errors.New(msg)}
}

func methodError(allowed string) error {
	return apiError(http.StatusMethodNotAllowed, "method not allowed; use "+allowed)
}
