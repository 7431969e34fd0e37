package explain

import (
	"encoding/json"

	"github.com/authgate/authgate/policy"
)

// Modes of a trace.
const (
	ModeLive    = "live"
	ModeOffline = "offline"
)

// Outcomes of a trace: the access log's outcomes, plus undetermined.
const (
	OutcomeAllowed      = "allowed"
	OutcomeUnauthorized = "unauthorized"
	OutcomeForbidden    = "forbidden"
	OutcomeRedirected   = "redirected"
	OutcomeUnavailable  = "unavailable"
	OutcomeBadRequest   = "bad_request"
	// OutcomeSoftDenied: passed upstream with X-Auth-Claim-Errors, only
	// validators in pass mode having failed.
	OutcomeSoftDenied = "soft_denied"
	// OutcomeUndetermined: the decision depends on something the
	// explanation did not do (a call it was not allowed to make, a store
	// it cannot read), or no authgate handler was found.
	OutcomeUndetermined = "undetermined"
	// OutcomeNotProtected: the request reaches no authgate handler.
	OutcomeNotProtected = "not_protected"
)

// Trace is how a route would decide one request. Its JSON encoding is the
// answer of POST /authgate/explain and of `caddy authgate explain --json`.
type Trace struct {
	Mode    string       `json:"mode"` // "live" or "offline"
	Request RequestTrace `json:"request"`
	Route   *RouteTrace  `json:"route,omitempty"`
	// Sources are the route's credential sources, in the order tried.
	Sources  []SourceTrace  `json:"sources,omitempty"`
	Verifier *VerifierTrace `json:"verifier,omitempty"`
	Identity *IdentityTrace `json:"identity,omitempty"`
	// Session is the edge session the credential names, if it is one.
	Session *SessionTrace `json:"session,omitempty"`
	// Claims are the refreshable claims a request would refresh.
	Claims []ClaimTrace `json:"claims,omitempty"`
	// Validators are every validator of the route, global ones first.
	Validators []ValidatorTrace `json:"validators,omitempty"`
	// Checks are the questions to the check endpoint, when the
	// explanation is of its answer.
	Checks   []CheckTrace `json:"checks,omitempty"`
	Decision Decision     `json:"decision"`
	// Headers are the identity headers the upstream would get.
	Headers map[string]string `json:"headers,omitempty"`
	Notes   []string          `json:"notes,omitempty"`
}

// RequestTrace is the request explained, credentials shown by length and
// hash only.
type RequestTrace struct {
	Method string `json:"method"`
	URL    string `json:"url"`
	// Fetch says claim sources and introspection could be called.
	Fetch bool `json:"fetch"`
}

// RouteTrace is the way through the HTTP app's routes to the handler.
type RouteTrace struct {
	Server string `json:"server,omitempty"`
	// Path lists each route matched, outermost first.
	Path []string `json:"path,omitempty"`
	// NotSimulated lists handlers that run before authgate and that the
	// explanation did not run (they may rewrite the request).
	NotSimulated []string `json:"not_simulated,omitempty"`
}

// SourceTrace is one credential source of the route.
type SourceTrace struct {
	Source  string `json:"source"`
	Present bool   `json:"present"`
	Chosen  bool   `json:"chosen,omitempty"`
	// Length and SHA256 describe the credential found (a prefix of its
	// SHA-256 in hex), never its value.
	Length int    `json:"length,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	// JWT holds the unverified header fields and issuer of a JWT.
	JWT *JWTInfo `json:"jwt,omitempty"`
}

// JWTInfo is what a JWT says of itself before verification.
type JWTInfo struct {
	Alg string `json:"alg,omitempty"`
	Kid string `json:"kid,omitempty"`
	Typ string `json:"typ,omitempty"`
	Iss string `json:"iss,omitempty"`
}

// VerifierTrace is which verifier decided about the credential, and why.
type VerifierTrace struct {
	Name   string `json:"name,omitempty"`
	Why    string `json:"why"`
	Result string `json:"result"` // "accepted", "rejected", "unavailable", "undetermined"
	Reason string `json:"reason,omitempty"`
	Cache  string `json:"cache,omitempty"`
}

// IdentityTrace is the verified identity, by ids.
type IdentityTrace struct {
	Subject   string `json:"subject"`
	Verifier  string `json:"verifier"`
	SessionID string `json:"session_id,omitempty"`
	TokenID   string `json:"token_id,omitempty"`
	Issuer    string `json:"issuer,omitempty"`
	IssuedAt  string `json:"issued_at,omitempty"`
	ExpiresAt string `json:"expires_at,omitempty"`
}

// ClaimTrace is one refreshable claim.
type ClaimTrace struct {
	Claim         string   `json:"claim"`
	MaxAgeSeconds *float64 `json:"max_age_seconds,omitempty"`
	// State is "would_fetch", "cached" or "fetched".
	State string `json:"state"`
}

// ValidatorTrace is one validator and what it saw.
type ValidatorTrace struct {
	ID string `json:"id"`
	Op string `json:"op"`
	// Claim is the claim path read.
	Claim string `json:"claim"`
	// Mode is "enforce", or "pass" for a validator in pass mode (its
	// failures alone let the request through).
	Mode     string `json:"mode"`
	Expected any    `json:"expected,omitempty"`
	// Value is the value seen; absent when the claim is missing.
	Value         *any     `json:"value,omitempty"`
	AgeSeconds    *float64 `json:"age_seconds,omitempty"`
	MaxAgeSeconds *float64 `json:"max_age_seconds,omitempty"`
	// Source names the claim source behind the value, if any.
	Source string `json:"source,omitempty"`
	// Result is "passed", "failed" or "undetermined".
	Result string         `json:"result"`
	Reason *policy.Reason `json:"reason,omitempty"`
}

// Decision is what the handler would do.
type Decision struct {
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
	Status  int    `json:"status,omitempty"`
	// Body is the body the handler would write (JSON bodies inline).
	Body     json.RawMessage `json:"body,omitempty"`
	Location string          `json:"location,omitempty"`
	// Why explains an undetermined decision.
	Why string `json:"why,omitempty"`
}

// ExitCode is the exit status of `caddy authgate explain` for t: 0 when
// the request would be allowed, 1 when refused, 2 when undetermined.
func (t *Trace) ExitCode() int {
	switch t.Decision.Outcome {
	case OutcomeAllowed, OutcomeSoftDenied, OutcomeNotProtected:
		return 0
	case OutcomeUndetermined:
		return 2
	}
	return 1
}

// Note adds a remark to the trace, shown with its decision.
func (t *Trace) Note(s string) { t.Notes = append(t.Notes, s) }
