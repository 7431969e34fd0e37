package caddymodule

import (
	"net/http"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/authgate/authgate/caddymodule/metrics"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

// decision is what the handler decided about one request. It becomes the
// object "auth" of the request's access-log entry, next to Caddy's own
// user_id. Every value comes from configuration (verifier names, validator
// ids), from fixed codes (outcomes, reasons) or from the gateway itself
// (session ids): never a token, a cookie value or a claim.
type decision struct {
	outcome  Outcome
	reason   string
	verifier string
	session  string           // the session's id, never its token
	failed   []policy.Failure // the failing validators of a 403
	trace    verifier.Trace
}

// set records the outcome and its reason. A nil decision (a refusal
// answered by one of the gateway's own endpoints) records nothing.
func (d *decision) set(o Outcome, reason string) {
	if d != nil {
		d.outcome, d.reason = o, reason
	}
}

// identify records who the verified identity is, by ids only. A session
// is logged as verified by the session verifier (as the metrics count it),
// although its identity names the verifier of the token it was made from.
func (d *decision) identify(id *verifier.Identity) {
	if d == nil || id == nil {
		return
	}
	d.verifier, d.session = id.Verifier, id.SessionID
	if id.SessionID != "" {
		d.verifier = session.VerifierName
	}
}

// decided counts the request's decision in the metrics and adds it to
// its access-log entry.
func (h *Handler) decided(r *http.Request, d *decision) {
	d.count(h.deps.requests)
	d.log(r)
}

// count adds the decision to authgate_requests_total; an allowed request
// with no reason counts as ok. A request with no decision (an endpoint of
// the gateway's own) is not counted.
func (d *decision) count(t *metrics.Requests) {
	if d.outcome == "" {
		return
	}
	reason := d.reason
	if reason == "" && d.outcome == OutcomeAllowed {
		reason = string(verifier.ReasonOK)
	}
	t.Count(d.verifier, string(d.outcome), reason)
}

// log adds the decision to the request's access-log entry: the one place
// where authgate writes to it. A request with no decision (an endpoint of
// the gateway's own) gets no "auth" object.
func (d *decision) log(r *http.Request) {
	if d.outcome == "" {
		return
	}
	if extra, ok := r.Context().Value(caddyhttp.ExtraLogFieldsCtxKey).(*caddyhttp.ExtraLogFields); ok {
		extra.Set(zap.Object("auth", d))
	}
}

// MarshalLogObject writes the decision's fields; empty ones are left out.
func (d *decision) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("outcome", string(d.outcome))
	addNonEmpty(enc, "reason", d.reason)
	addNonEmpty(enc, "verifier", d.verifier)
	addNonEmpty(enc, "session_id", d.session)
	if len(d.failed) > 0 {
		if err := enc.AddArray("failed", failedIDs(d.failed)); err != nil {
			return err
		}
	}
	addNonEmpty(enc, "cache", string(d.trace.Cache))
	return nil
}

func addNonEmpty(enc zapcore.ObjectEncoder, key, value string) {
	if value != "" {
		enc.AddString(key, value)
	}
}

// failedIDs logs the ids of failing validators, without their values.
type failedIDs []policy.Failure

func (f failedIDs) MarshalLogArray(enc zapcore.ArrayEncoder) error {
	for _, x := range f {
		enc.AppendString(x.ID)
	}
	return nil
}
