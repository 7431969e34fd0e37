package explain

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"

	"github.com/authgate/authgate/forward"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/credential"
)

// refuse records the response the handler writes for err: its own
// Refuse, run on a recorder, or (for an OIDC login) what the login would
// start, which is never run: it makes a login state and spends budgets.
func refuse(rt *Route, r *http.Request, err error, t *Trace) {
	// A browser navigation with the route's cookie twice gets the cookie
	// expired and then the login challenge, whatever its reason (the
	// handler's refuseDuplicateCookie): a navigation is what
	// Challenged(ErrNoCredential) asks.
	var dup *credential.DuplicateCookieError
	challenged := rt.Challenged(r, err) || errors.As(err, &dup) && rt.Challenged(r, verifier.ErrNoCredential)
	if rt.LoginOIDC != "" && challenged {
		t.Decision = Decision{Outcome: OutcomeRedirected, Reason: string(verifier.ReasonOf(err)), Status: http.StatusFound,
			Location: "the authorization endpoint of oidc " + rt.LoginOIDC + " (a new login; not started by the explanation)"}
		if dup != nil {
			t.Note("the response expires the duplicated cookie " + dup.Name + " first")
		}
		return
	}
	rec := httptest.NewRecorder()
	if ferr := rt.Refuse(rec, withoutQueryRequest(r), err); ferr != nil && rec.Code == http.StatusOK {
		t.Decision = Decision{Outcome: OutcomeUnavailable, Reason: string(verifier.ReasonInternal), Status: http.StatusInternalServerError}
		return
	}
	d := Decision{Status: rec.Code, Location: rec.Header().Get("Location"), Outcome: outcomeOf(rec.Code)}
	if d.Location != "" && (r.URL.RawQuery != "" || r.URL.ForceQuery) {
		t.Note("the location's return address is shown without the request's query, which may hold secrets")
	}
	if body := rec.Body.Bytes(); len(body) > 0 && json.Valid(body) {
		d.Body = json.RawMessage(body)
		var reason struct{ Reason string }
		_ = json.Unmarshal(body, &reason)
		d.Reason = reason.Reason
	}
	if d.Reason == "" {
		d.Reason = string(verifier.ReasonOf(err))
	}
	var denial *policy.Denial
	if errors.As(err, &denial) {
		d.Reason = "policy_denied"
	}
	t.Decision = d
	if strings.Contains(strings.Join(rec.Header().Values("Set-Cookie"), "\n"), "Max-Age=0") {
		t.Note("the response clears the session cookie")
	}
}

func outcomeOf(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return OutcomeUnauthorized
	case http.StatusForbidden:
		return OutcomeForbidden
	case http.StatusFound, http.StatusSeeOther:
		return OutcomeRedirected
	case http.StatusBadRequest:
		return OutcomeBadRequest
	}
	return OutcomeUnavailable
}

// sources lists the route's credential sources and which one holds a
// credential, by length and digest.
func sources(r *http.Request, rt *Route) []SourceTrace {
	out := make([]SourceTrace, 0, len(rt.Sources))
	chosen := false
	for _, s := range rt.Sources {
		st := SourceTrace{Source: s.Source.String()}
		value, present := read(r, s.Source)
		if present {
			st.Present, st.Length, st.SHA256 = true, len(value), digest(value)
			st.JWT = jwtInfo(value)
			st.Chosen, chosen = !chosen, true
		}
		out = append(out, st)
	}
	return out
}

// read reads one source as the handler does, ignoring framing errors
// (Extract reports those).
func read(r *http.Request, s verifier.Source) (string, bool) {
	if s.Kind == verifier.SourceHeader {
		v, ok, _ := credential.ReadHeader(r.Header, s)
		return v, ok
	}
	c, err := r.Cookie(s.Name)
	if err != nil || c.Value == "" {
		return "", false
	}
	return c.Value, true
}

// identityHeaders are the identity headers the upstream would get; a
// signed assertion is shown by its length only.
func identityHeaders(rt *Route, id *verifier.Identity) map[string]string {
	h := http.Header{}
	forward.Apply(h, rt.Headers, id, rt.AssertionAudience)
	out := make(map[string]string, len(h))
	for i := range rt.Headers {
		m := &rt.Headers[i]
		v := h.Get(m.Name())
		switch {
		case v == "":
		case m.IsAssertion():
			out[m.Name()] = "(a signed assertion, " + strconv.Itoa(len(v)) + " bytes)"
		default:
			out[m.Name()] = v
		}
	}
	return out
}

// withoutQueryRequest is r without its query: a login_url redirect
// carries the request's URL as its return address, and a query may hold
// secrets. Nothing the handler refuses by depends on the query. (The glue
// that builds the Route strips it from any copy of the original request a
// server keeps, in its Refuse.)
func withoutQueryRequest(r *http.Request) *http.Request {
	r = r.Clone(r.Context())
	r.URL.RawQuery, r.URL.ForceQuery = "", false
	r.RequestURI = r.URL.RequestURI()
	return r
}
