package explain

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

// WriteText writes t for people: one section per step of the decision.
func (t *Trace) WriteText(w io.Writer) error {
	p := &printer{w: w}
	p.line("%s %s  (%s%s)", t.Request.Method, t.Request.URL, t.Mode, map[bool]string{true: ", fetch"}[t.Request.Fetch])
	if r := t.Route; r != nil {
		p.line("route:      %s: %s", r.Server, strings.Join(trimmed(r.Path), " > "))
		if len(r.NotSimulated) > 0 {
			p.line("not simulated (may rewrite the request): %s", strings.Join(r.NotSimulated, ", "))
		}
	}
	p.sources(t.Sources)
	if v := t.Verifier; v != nil {
		p.line("verifier:   %s: %s%s%s", or(v.Name, "(none)"), v.Result, wrap(" ", v.Reason, ""), wrap(" (cache ", v.Cache, ")"))
		p.line("            why: %s", v.Why)
	}
	if id := t.Identity; id != nil {
		p.line("identity:   %s (verifier %s%s%s)", id.Subject, id.Verifier, wrap(", session ", id.SessionID, ""), wrap(", expires ", id.ExpiresAt, ""))
	}
	p.session(t.Session)
	for _, c := range t.Claims {
		p.line("claim:      %s: %s%s", c.Claim, strings.ReplaceAll(c.State, "_", " "), wrap(" (max age ", secondsText(c.MaxAgeSeconds), ")"))
	}
	p.validators(t.Validators)
	p.checks(t.Checks)
	p.decision(t.Decision)
	for _, name := range sortedHeaderNames(t.Headers) {
		p.line("header:     %s: %s", name, t.Headers[name])
	}
	for _, n := range t.Notes {
		p.line("note:       %s", n)
	}
	return p.err
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) line(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format+"\n", args...)
	}
}

func (p *printer) sources(ss []SourceTrace) {
	for _, s := range ss {
		state := "absent"
		if s.Present {
			state = fmt.Sprintf("present, %d bytes, sha256 %s…", s.Length, s.SHA256)
		}
		if s.JWT != nil {
			state += fmt.Sprintf(", a JWT (alg %s%s%s)", s.JWT.Alg, wrap(", kid ", s.JWT.Kid, ""), wrap(", iss ", s.JWT.Iss, ""))
		}
		if s.Chosen {
			state += "  <- used"
		}
		p.line("source:     %s: %s", s.Source, state)
	}
}

func (p *printer) session(s *SessionTrace) {
	if s == nil {
		return
	}
	admits := "admitted: the route accepts every session"
	switch {
	case !s.Admitted:
		admits = "NOT ADMITTED: the route's verifiers admit sessions of " + strings.Join(s.RouteOrigins, ", ") + " only"
	case len(s.RouteOrigins) > 0:
		admits = "admitted by the route's verifiers (" + strings.Join(s.RouteOrigins, ", ") + ")"
	}
	p.line("session:    %s, made by %s: %s", s.ID, s.Origin, admits)
	p.line("            started %s, last accessed %s, idle expires %s, expires %s%s", s.StartedAt, s.LastAccessedAt,
		s.IdleExpiresAt, s.ExpiresAt, wrap(", bound to host ", s.Host, ""))
	if s.TokenExpiresAt != "" {
		p.line("            exchanged token expires %s%s", s.TokenExpiresAt, map[bool]string{true: " (the session ends no later)"}[s.BoundToToken])
	}
	for _, f := range s.Factors {
		p.line("factor:     %s at %s%s", f.Verifier, f.At, wrap(" (amr ", strings.Join(f.AMR, ", "), ")"))
	}
}

func (p *printer) checks(cs []CheckTrace) {
	for _, c := range cs {
		answer := "UNDETERMINED"
		if c.Allowed != nil {
			answer = map[bool]string{true: "ALLOWED", false: "NOT ALLOWED"}[*c.Allowed]
		}
		question := "check " + c.Check
		if c.Permission != "" {
			question = "permission " + c.Permission
		}
		p.line("check:      %-12s %s", answer, question)
		for _, cl := range c.Claims {
			p.line("claim:      %s: %s%s", cl.Claim, strings.ReplaceAll(cl.State, "_", " "), wrap(" (max age ", secondsText(cl.MaxAgeSeconds), ")"))
		}
		p.validators(c.Validators)
	}
}

func (p *printer) validators(vs []ValidatorTrace) {
	for _, v := range vs {
		seen := "missing"
		if v.Value != nil {
			seen = "saw " + compact(*v.Value)
		}
		age := wrap(", age ", secondsText(v.AgeSeconds), "")
		age += wrap(", max age ", secondsText(v.MaxAgeSeconds), "")
		if v.Source != "" {
			age += ", from claim source " + v.Source
		}
		p.line("validator:  %-12s %s %s %s: %s%s [%s]", strings.ToUpper(v.Result), v.ID, v.Op, compact(v.Expected), seen, age, v.Mode)
		if v.Reason != nil {
			p.line("            reason: %s", v.Reason.Message)
		}
	}
}

func (p *printer) decision(d Decision) {
	p.line("decision:   %s%s%s", strings.ToUpper(d.Outcome), wrap(" ", statusLine(d.Status), ""), wrap(" reason ", d.Reason, ""))
	if d.Why != "" {
		p.line("            %s", d.Why)
	}
	if d.Location != "" {
		p.line("location:   %s", d.Location)
	}
	if len(d.Body) > 0 {
		p.line("body:       %s", d.Body)
	}
}

func statusLine(status int) string {
	if status == 0 {
		return ""
	}
	return fmt.Sprintf("%d %s", status, http.StatusText(status))
}

// compact is v as JSON, for one line.
func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func secondsText(s *float64) string {
	if s == nil {
		return ""
	}
	return fmt.Sprintf("%gs", *s)
}

func wrap(before, s, after string) string {
	if s == "" {
		return ""
	}
	return before + s + after
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func trimmed(path []string) []string {
	out := make([]string, len(path))
	for i, p := range path {
		out[i] = strings.TrimSpace(p)
	}
	return out
}

func sortedHeaderNames(h map[string]string) []string {
	names := make([]string, 0, len(h))
	for n := range h {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
