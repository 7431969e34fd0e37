package caddymodule

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/authgate/authgate/internal/redact"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/session/sessionhttp"
	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/credential"
)

// defaultRetryAfter is sent with 503s when the failing dependency gave no hint.
const defaultRetryAfter = 5 * time.Second

// descriptions are the error_description values of WWW-Authenticate. They
// are fixed texts: nothing from the request ever reaches a response.
var descriptions = map[verifier.Reason]string{
	verifier.ReasonTokenExpired:    "the token has expired",
	verifier.ReasonNotYetValid:     "the token is not valid yet",
	verifier.ReasonBadSignature:    "the token signature is invalid",
	verifier.ReasonUnknownKey:      "the token was signed by an unknown key",
	verifier.ReasonBadIssuer:       "the token issuer is not trusted",
	verifier.ReasonBadAudience:     "the token audience is not accepted",
	verifier.ReasonBadType:         "the token type is not accepted",
	verifier.ReasonUnsupportedCrit: "the token has unsupported critical headers",
	verifier.ReasonAlgNotAllowed:   "the token algorithm is not allowed",
	verifier.ReasonMalformed:       "the token is malformed",
	verifier.ReasonTooLarge:        "the credential is too large",
	verifier.ReasonTooOld:          "the token is too old",
	verifier.ReasonTokenRevoked:    "the token has been revoked",
	verifier.ReasonSessionRevoked:  "the session has been revoked",
	verifier.ReasonSessionExpired:  "the session has expired",
	verifier.ReasonInactive:        "the credential is not active",
	sessionhttp.ReasonTokenReused:  "the token has already been exchanged",

	// A token with a cnf claim is valid only with a proof of possession.
	verifier.ReasonUnsupportedBinding: "the token is bound to a key and needs a proof the gateway cannot check",
}

// loginReasons are the failures for which a browser navigation is sent to
// the login page rather than shown a 401: the user can fix them by logging in.
var loginReasons = map[verifier.Reason]bool{
	verifier.ReasonMissingCredential: true,
	verifier.ReasonTokenExpired:      true,
	verifier.ReasonTokenRevoked:      true,
	verifier.ReasonSessionExpired:    true,
	verifier.ReasonSessionRevoked:    true,
	verifier.ReasonInactive:          true, // a logged-out remote session
	verifier.ReasonTooOld:            true, // logging in again mints a fresh token
}

// respond writes the response for a failed request answered by one of the
// gateway's own endpoints, which log no decision.
func (h *Handler) respond(w http.ResponseWriter, r *http.Request, err error) error {
	return h.refuse(w, r, nil, err)
}

// refuse writes the response for a failed request: the single place where
// error classes become status codes, headers and bodies. It records the
// outcome and reason in d, for the access log.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, d *decision, err error) error {
	var denial *policy.Denial
	var rejected *verifier.RejectedError
	var unavailable *verifier.UnavailableError
	var duplicate *credential.DuplicateCookieError
	switch {
	case errors.As(err, &duplicate):
		return h.refuseDuplicateCookie(w, r, d, duplicate)
	case errors.Is(err, verifier.ErrNoCredential):
		return h.unauthorized(w, r, d, verifier.ReasonMissingCredential)
	case errors.As(err, &rejected):
		return h.unauthorized(w, r, d, rejected.Reason)
	case errors.As(err, &denial):
		return h.forbidden(w, r, d, denial)
	case errors.As(err, &unavailable) && unavailable.Reason == verifier.ReasonRateLimited:
		d.set(OutcomeUnavailable, string(verifier.ReasonRateLimited))
		return h.tooManyRequests(w, r, unavailable.RetryAfter)
	case errors.As(err, &unavailable):
		return h.unavailable(w, r, d, unavailable.Reason, unavailable.RetryAfter, err)
	case errors.Is(err, policy.ErrRefreshUnavailable):
		return h.unavailable(w, r, d, "claim_source_unavailable", 0, err)
	}
	d.set(OutcomeUnavailable, string(verifier.ReasonInternal))
	err = redact.Error(err)
	h.logger.Error("authgate internal error", zap.Error(err))
	return caddyhttp.Error(http.StatusInternalServerError, err)
}

// unauthorized answers a missing or refused credential: a browser
// navigation that a login can fix goes to the route's challenger, anything
// else gets the 401.
func (h *Handler) unauthorized(w http.ResponseWriter, r *http.Request, d *decision, reason verifier.Reason) error {
	h.logDenied(r, http.StatusUnauthorized, string(reason))
	w.Header().Add("Vary", "Accept, Sec-Fetch-Mode")
	if es := h.deps.sessions; es != nil && (reason == verifier.ReasonSessionRevoked || reason == verifier.ReasonSessionExpired) {
		es.cookie.Clear(w) // a dead session cookie is only ever refused again
	}
	if loginReasons[reason] && isBrowserNavigation(r) {
		d.set(h.challengeOutcome(), string(reason))
		return h.challenge.Challenge(w, r, reason)
	}
	d.set(OutcomeUnauthorized, string(reason))
	return writeUnauthorized(w, r, reason)
}

// writeUnauthorized writes the 401 with its Bearer challenge and reason body.
func writeUnauthorized(w http.ResponseWriter, r *http.Request, reason verifier.Reason) error {
	challenge := `Bearer realm="authgate"`
	if reason != verifier.ReasonMissingCredential {
		challenge += `, error="invalid_token", error_description="` + descriptions[reason] + `"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	return writeJSON(w, r, http.StatusUnauthorized, string(reason),
		`{"error":"unauthorized","reason":"`+string(reason)+`"}`)
}

func (h *Handler) forbidden(w http.ResponseWriter, r *http.Request, d *decision, denial *policy.Denial) error {
	h.logDenied(r, http.StatusForbidden, "policy_denied")
	if d != nil {
		d.failed = denial.Failures
	}
	for _, f := range denial.Failures {
		if target, ok := h.onFailure[f.ID]; ok {
			d.set(OutcomeRedirected, "policy_denied")
			return sendRedirect(w, r, target, "policy_denied")
		}
	}
	d.set(OutcomeForbidden, "policy_denied")
	body, err := json.Marshal(denial)
	if err != nil {
		return caddyhttp.Error(http.StatusInternalServerError, err)
	}
	return writeJSON(w, r, http.StatusForbidden, "policy_denied", string(body))
}

func (h *Handler) unavailable(w http.ResponseWriter, r *http.Request, d *decision, reason verifier.Reason, after time.Duration, cause error) error {
	d.set(OutcomeUnavailable, string(reason))
	if ce := h.logger.Check(zapcore.WarnLevel, "authgate dependency unavailable"); ce != nil {
		if ok, dropped := h.deps.warnings.Allow("unavailable " + string(reason)); ok {
			ce.Write(zap.String("reason", string(reason)), zap.Error(redact.Error(cause)), zap.Int("suppressed", dropped))
		}
	}
	if after <= 0 {
		after = defaultRetryAfter
	}
	setRetryAfter(w, after)
	return writeJSON(w, r, http.StatusServiceUnavailable, string(reason),
		`{"error":"unavailable","reason":"`+string(reason)+`"}`)
}

// reasonProtectedTrailer refuses a request that announces an identity or
// credential header as a trailer.
const reasonProtectedTrailer = "protected_trailer"

// refuseTrailer answers a request that announced a protected trailer.
func (h *Handler) refuseTrailer(w http.ResponseWriter, r *http.Request, d *decision) error {
	d.set(OutcomeBadRequest, reasonProtectedTrailer)
	h.logDenied(r, http.StatusBadRequest, reasonProtectedTrailer)
	return writeJSON(w, r, http.StatusBadRequest, reasonProtectedTrailer,
		`{"error":"bad_request","reason":"`+reasonProtectedTrailer+`"}`)
}

// refusePath answers 400 with reason path_<rule>, for a path the firewall
// refuses.
func (h *Handler) refusePath(w http.ResponseWriter, r *http.Request, d *decision, rule string) error {
	reason := "path_" + rule
	d.set(OutcomeBadRequest, reason)
	h.logDenied(r, http.StatusBadRequest, reason)
	return writeJSON(w, r, http.StatusBadRequest, reason, `{"error":"bad_request","reason":"`+reason+`"}`)
}

// sendRedirect answers 302 to target; reason goes to the error placeholders.
func sendRedirect(w http.ResponseWriter, r *http.Request, target, reason string) error {
	setErrorPlaceholders(r, http.StatusFound, reason)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusFound)
	return nil
}

func writeJSON(w http.ResponseWriter, r *http.Request, status int, reason, body string) error {
	if status >= http.StatusBadRequest {
		setErrorPlaceholders(r, status, reason)
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, err := w.Write([]byte(body))
	return err
}

func setErrorPlaceholders(r *http.Request, status int, reason string) {
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		repl.Set("http.auth.error.status", status)
		repl.Set("http.auth.error.reason", reason)
	}
}

func (h *Handler) logDenied(r *http.Request, status int, reason string) {
	if ce := h.logger.Check(zapcore.DebugLevel, "authgate denied request"); ce != nil {
		ce.Write(zap.Int("status", status), zap.String("reason", reason), zap.String("path", r.URL.Path))
	}
}
