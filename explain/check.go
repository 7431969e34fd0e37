package explain

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/policy/checkhttp"
	"github.com/authgate/authgate/verifier"
)

// OutcomeNotAllowed: the check endpoint answers 200 {"allowed":false}.
const OutcomeNotAllowed = "not_allowed"

// CheckTrace is one question to the check endpoint (a named check or a
// permission) and how it would be answered.
type CheckTrace struct {
	Check      string `json:"check,omitempty"`
	Permission string `json:"permission,omitempty"`
	// Allowed is the answer; null when undetermined (a claim would be
	// fetched first).
	Allowed *bool `json:"allowed"`
	// Validators are the global validators, then the question's own (not
	// run when the global ones refuse, as the endpoint does).
	Validators []ValidatorTrace `json:"validators,omitempty"`
	// Claims are the refreshable claims it would refresh.
	Claims []ClaimTrace `json:"claims,omitempty"`
}

// asksCheck reports whether the explanation is of the check endpoint: a
// request for it, or questions asked on any route that serves it.
func asksCheck(rt *Route, r *http.Request, d Request) bool {
	return rt.Check != nil && (rt.IsCheck(r) || len(d.Checks)+len(d.Permissions) > 0)
}

// runCheck traces how the check endpoint would answer on rt: the
// questions of a GET's query and those of d, authenticated as the route
// authenticates (an API client's 401, never a login), answered without
// the route's own validators and without spending the per-subject budget.
func runCheck(ctx context.Context, rt *Route, r *http.Request, d Request, t *Trace) {
	qs, batch, ok := checkQuestions(rt, r, d, t)
	if !ok {
		return
	}
	method := map[bool]string{true: "POST", false: "GET"}[batch]
	t.Note("explained as the check endpoint's answer (" + method + " " + rt.CheckPath + "): the route's own validators do not apply, and the per-subject check budget is neither read nor spent")
	script := *rt // the endpoint answers scripts: the 401, never a login
	script.Optional, script.LoginOIDC, script.Refuse = false, "", rt.RefuseScript
	script.Challenged = func(*http.Request, error) bool { return false }
	t.Sources = sources(r, rt)
	id, ok := verify(ctx, &script, r, d.Fetch, t)
	if !ok {
		return
	}
	t.Identity = identityTrace(id)
	cx, err := rt.Check.Checker().Explain(verifier.WithDryRun(r.Context(), d.Fetch), id, qs, d.Fetch)
	if status, reason, body, bad := checkhttp.QuestionRefusal(err); bad {
		t.Decision = Decision{Outcome: OutcomeBadRequest, Status: status, Reason: reason, Body: json.RawMessage(body)}
		t.Note("a question names a check the configuration does not declare, or a malformed permission")
		return
	}
	if err != nil {
		refuse(&script, r, err, t)
		return
	}
	answerChecks(cx, batch, t)
}

// checkQuestions reads the questions as the endpoint would; false when the
// trace's decision is made.
func checkQuestions(rt *Route, r *http.Request, d Request, t *Trace) ([]policy.Question, bool, bool) {
	q := r.URL.RawQuery
	batch := false
	switch {
	case !rt.IsCheck(r):
		q = ""
	case r.Method == http.MethodPost:
		q, batch = "", true
		if len(d.Checks)+len(d.Permissions) == 0 {
			t.undetermined("a POST to the check endpoint asks the questions of its body, which is not described: name them with checks/permissions (--check, --permission)")
			return nil, false, false
		}
	case r.Method != http.MethodGet:
		t.Decision = Decision{Outcome: OutcomeBadRequest, Status: http.StatusMethodNotAllowed, Reason: checkhttp.ReasonMethodNotAllowed,
			Body: json.RawMessage(`{"error":"method_not_allowed","reason":"method_not_allowed"}`)}
		return nil, false, false
	}
	params := []string{}
	if q != "" {
		params = append(params, q)
	}
	for _, c := range d.Checks {
		params = append(params, "check="+url.QueryEscape(c))
	}
	for _, p := range d.Permissions {
		params = append(params, "permission="+url.QueryEscape(p))
	}
	asked := r.Clone(r.Context())
	asked.URL.RawQuery = strings.Join(params, "&")
	qs, ok, status, reason, body := rt.Check.QueryQuestions(asked)
	if !ok {
		t.Decision = Decision{Outcome: OutcomeBadRequest, Status: status, Reason: reason, Body: json.RawMessage(body)}
		return nil, false, false
	}
	return qs, batch, true
}

// answerChecks records each question's trace and the endpoint's answer.
func answerChecks(cx *policy.CheckExplanation, batch bool, t *Trace) {
	answers := make([]*policy.Denial, len(cx.Questions))
	undetermined := false
	for i, q := range cx.Questions {
		ct := CheckTrace{Check: q.Question.Check, Permission: q.Question.Permission}
		for _, x := range []*policy.Explanation{cx.Global, q.Explanation} {
			if x != nil {
				ct.Validators = append(ct.Validators, validatorTraces(x.Validators)...)
				ct.Claims = append(ct.Claims, claimTraces(x.Claims)...)
			}
		}
		if !q.Undetermined || q.Answer != nil {
			allowed := q.Answer == nil
			ct.Allowed = &allowed
		}
		undetermined = undetermined || q.Undetermined
		answers[i] = q.Answer
		t.Checks = append(t.Checks, ct)
	}
	if undetermined {
		t.undetermined("a claim would be fetched from its claim source first (see checks); run again with fetch to fetch it")
		return
	}
	body, err := checkhttp.AnswerBody(answers, batch)
	if err != nil {
		t.Decision = Decision{Outcome: OutcomeUnavailable, Reason: string(verifier.ReasonInternal), Status: http.StatusInternalServerError}
		return
	}
	t.Decision = Decision{Outcome: OutcomeAllowed, Status: http.StatusOK, Body: json.RawMessage(body)}
	for _, a := range answers {
		if a != nil {
			t.Decision.Outcome, t.Decision.Reason = OutcomeNotAllowed, "policy_denied"
		}
	}
}
