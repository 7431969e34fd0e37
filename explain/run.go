package explain

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/authgate/authgate/forward"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/credential"
)

// Run traces how the handler of rt would decide r, into t. It runs every
// step of the handler's ServeHTTP that decides, in a dry run: nothing is
// recorded, cached or written, and nothing remote is called unless fetch.
func Run(ctx context.Context, rt *Route, r *http.Request, d Request, t *Trace) {
	fetch := d.Fetch
	if rule := rt.RejectedPath(r); rule != "" {
		t.Decision = Decision{Outcome: OutcomeBadRequest, Reason: "path_" + rule, Status: http.StatusBadRequest}
		return
	}
	if asksCheck(rt, r, d) {
		runCheck(ctx, rt, r, d, t)
		return
	}
	if len(d.Checks)+len(d.Permissions) > 0 {
		t.undetermined("checks and permissions are questions to the check endpoint, which this route does not serve (endpoints off)")
		return
	}
	if rt.Endpoint(r) {
		t.undetermined("the path is one of the gateway's own endpoints, served before authentication: not explained")
		return
	}
	if rt.AllowPreflight && isPreflight(r) {
		t.Decision = Decision{Outcome: OutcomeAllowed, Reason: "preflight"}
		return
	}
	t.Sources = sources(r, rt)
	id, ok := verify(ctx, rt, r, fetch, t)
	if !ok {
		return
	}
	t.Identity = identityTrace(id)
	x, err := rt.Policy.Explain(ctx, id, fetch)
	if err != nil {
		refuse(rt, r, err, t)
		return
	}
	t.Claims, t.Validators = claimTraces(x.Claims), validatorTraces(x.Validators)
	switch {
	case x.Undetermined:
		t.undetermined("a claim would be fetched from its claim source first (see claims); run again with fetch to fetch it")
	case x.Denial != nil && !x.Denial.Soft():
		refuse(rt, r, x.Denial, t)
	default:
		t.Decision = Decision{Outcome: OutcomeAllowed, Status: 0}
		t.Headers = identityHeaders(rt, x.Identity)
		if x.Denial != nil { // only validators in pass mode failed
			t.Decision = Decision{Outcome: OutcomeSoftDenied, Reason: "policy_denied"}
			t.Headers[forward.ClaimErrorsHeader] = x.Denial.ClaimErrors()
		}
	}
}

// verify extracts the route's credential and verifies it in a dry run. It
// returns false when the trace's decision is made (refused, allowed
// anonymously, or undetermined).
func verify(ctx context.Context, rt *Route, r *http.Request, fetch bool, t *Trace) (*verifier.Identity, bool) {
	cred, v, err := credential.Extract(r, rt.Sources)
	if errors.Is(err, verifier.ErrNoCredential) && rt.Optional {
		t.Decision = Decision{Outcome: OutcomeAllowed, Reason: string(verifier.ReasonMissingCredential)}
		t.Note("the route is optional: anonymous requests pass without identity headers")
		return nil, false
	}
	if err == nil && rt.Ambiguous != nil {
		err = rt.Ambiguous(r)
	}
	if err != nil {
		refuse(rt, r, err, t)
		return nil, false
	}
	if len(cred.Value) > rt.MaxTokenBytes {
		refuse(rt, r, verifier.Reject(verifier.ReasonTooLarge, nil), t)
		return nil, false
	}
	vt := &VerifierTrace{Why: "the first of the route's credential sources present is " + cred.Source.String()}
	t.Verifier = vt
	var trace verifier.Trace
	// The prepared request's context carries what verifiers read of the
	// request (its replacer: the host of bind_host sessions).
	ctx = verifier.WithTrace(verifier.WithDryRun(r.Context(), fetch), &trace)
	id, name, member, err := verifyChain(ctx, v, cred)
	if sv, ok := member.(*session.Verifier); ok {
		t.Session = sessionTrace(ctx, sv, cred, id, err)
	}
	vt.Name, vt.Cache = name, string(trace.Cache)
	if id != nil && id.Verifier != "" {
		vt.Name = id.Verifier
	}
	vt.Why += whyVerifier(name, cred)
	var rejected *verifier.RejectedError
	if errors.Is(err, verifier.ErrNotResponsible) && !errors.As(err, &rejected) {
		err = verifier.Reject(verifier.ReasonBadIssuer, err)
	}
	switch {
	case err == nil:
		vt.Result = "accepted"
		return id, true
	case errors.Is(err, verifier.ErrWouldCall):
		vt.Result = "undetermined"
		t.undetermined("the credential is checked by calling an introspection endpoint, and no answer is cached; run again with fetch to call it")
	case errors.Is(err, session.ErrStoreNotOpen):
		vt.Result = "undetermined"
		t.undetermined("the session store is not open: offline, only a Redis store can be read (a running server holds the bolt file's lock)")
	default:
		vt.Result, vt.Reason = "rejected", string(verifier.ReasonOf(err))
		var unavailable *verifier.UnavailableError
		if errors.As(err, &unavailable) {
			vt.Result = "unavailable"
		}
		refuse(rt, r, err, t)
	}
	return nil, false
}

// verifyChain verifies cred as v would, returning the verifier that
// answered and its name: a session token goes to the session verifiers
// alone (session.Guard), and a chain's members are tried in order, as
// verifier.Chain does.
func verifyChain(ctx context.Context, v verifier.Verifier, cred verifier.Credential) (*verifier.Identity, string, verifier.Verifier, error) {
	if g, ok := v.(*session.Guard); ok {
		if session.HasTokenPrefix(cred.Value) {
			if g.Sessions == nil {
				id, err := g.Verify(ctx, cred)
				return id, session.VerifierName, nil, err
			}
			id, _, member, err := verifyChain(ctx, g.Sessions, cred)
			if errors.Is(err, verifier.ErrNotResponsible) {
				id, err = g.Verify(ctx, cred) // the guard's own refusal
			}
			return id, session.VerifierName, member, err
		}
		if g.Others == nil {
			return nil, "", nil, verifier.ErrNotResponsible
		}
		v = g.Others
	}
	chain, ok := v.(verifier.Chain)
	if !ok {
		id, err := v.Verify(ctx, cred)
		return id, verifierName(v), v, err
	}
	var first error
	var firstMember verifier.Verifier
	for _, member := range chain {
		id, err := member.Verify(ctx, cred)
		if err == nil || !errors.Is(err, verifier.ErrNotResponsible) {
			return id, verifierName(member), member, err
		}
		if first == nil {
			first, firstMember = err, member
		}
	}
	if first == nil {
		first = verifier.ErrNotResponsible
	}
	return nil, verifierName(firstMember), firstMember, first
}

// whyVerifier says how the credential reached its verifier.
func whyVerifier(name string, cred verifier.Credential) string {
	switch name {
	case "jwt":
		if info := jwtInfo(cred.Value); info != nil && info.Iss != "" {
			return "; JWTs go to the jwt verifier whose issuer is the token's iss (" + info.Iss + ")"
		}
		return "; JWTs go to the jwt verifier whose issuer is the token's iss"
	case session.VerifierName:
		if session.HasTokenPrefix(cred.Value) && cred.Source.Kind != verifier.SourceCookie {
			return "; a session token (prefix " + session.TokenPrefix + ") goes to the edge-session verifier and nowhere else: bad_issuer where no session verifier reads this source (bearer off, or the route's verifiers leave sessions out)"
		}
		return "; the session cookie goes to the edge-session verifier (a route naming verifiers accepts only the sessions they created: bad_issuer otherwise)"
	case "":
		return ""
	}
	return "; opaque credentials go to the verifiers after the JWTs, in order: " + name + " answered"
}

func identityTrace(id *verifier.Identity) *IdentityTrace {
	it := &IdentityTrace{Subject: id.Subject, Verifier: id.Verifier, SessionID: id.SessionID, TokenID: id.TokenID, Issuer: id.Issuer}
	if !id.IssuedAt.IsZero() {
		it.IssuedAt = id.IssuedAt.UTC().Format(time.RFC3339)
	}
	if !id.ExpiresAt.IsZero() {
		it.ExpiresAt = id.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return it
}

func claimTraces(cs []policy.ClaimTrace) []ClaimTrace {
	out := make([]ClaimTrace, 0, len(cs))
	for _, c := range cs {
		ct := ClaimTrace{Claim: c.Claim, State: c.State}
		if c.HasMaxAge {
			ct.MaxAgeSeconds = seconds(c.MaxAge)
		}
		out = append(out, ct)
	}
	return out
}

func validatorTraces(vs []policy.ValidatorTrace) []ValidatorTrace {
	out := make([]ValidatorTrace, 0, len(vs))
	for _, v := range vs {
		vt := ValidatorTrace{ID: v.ID, Op: string(v.Op), Claim: v.Path, Mode: v.Mode, Expected: v.Expected,
			Source: v.Source, Result: v.Result, Reason: v.Reason}
		if v.HasValue {
			value := v.Value
			vt.Value = &value
		}
		if v.HasAge {
			vt.AgeSeconds = seconds(v.Age)
		}
		if v.HasMaxAge {
			vt.MaxAgeSeconds = seconds(v.MaxAge)
		}
		out = append(out, vt)
	}
	return out
}

func seconds(d time.Duration) *float64 {
	s := float64(d.Milliseconds()) / 1000
	return &s
}

func (t *Trace) undetermined(why string) {
	t.Decision = Decision{Outcome: OutcomeUndetermined, Why: why}
}

// isPreflight reports whether r is a CORS preflight request.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" &&
		r.Header.Get("Access-Control-Request-Method") != ""
}
