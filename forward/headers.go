package forward

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/authgate/authgate/claims"
	"github.com/authgate/authgate/internal/headername"
	"github.com/authgate/authgate/verifier"
)

// identityHeaderPrefix marks headers that only authgate may set. Every
// inbound header whose folded name starts with it is deleted.
const identityHeaderPrefix = "x-auth-"

// ClaimErrorsHeader carries, upstream, the failures of validators in pass
// mode (`on_failure ID pass`) when only those failed: the JSON list of the
// 403 body's claimValidationErrors. Like every X-Auth- header it is
// deleted from clients' requests in every spelling and refused as a
// trailer, and no mapping may set it.
const ClaimErrorsHeader = "X-Auth-Claim-Errors"

// AssertionTemplate is the header value that forwards a signed assertion
// (`header NAME assertion`) instead of a template.
const AssertionTemplate = "assertion"

// Spec is one header mapping as configured.
type Spec struct {
	Name  string // header name
	Value string // template of literal text, {sub}, {session.*} and {claims.PATH}, or AssertionTemplate
	JSON  bool   // forward a single {claims.PATH} value JSON-encoded
}

// SignFunc returns a signed assertion of id for audience aud, or "" when
// it cannot make one.
type SignFunc func(id *verifier.Identity, aud string, now time.Time) string

// Mapping is a compiled Spec.
type Mapping struct {
	name      string // canonical header name
	parts     []templatePart
	json      bool
	assertion bool     // value is a signed assertion (`header NAME assertion`)
	sign      SignFunc // set at provision when assertion is true
}

// Name is the canonical name of the header m sets.
func (m *Mapping) Name() string { return m.name }

// IsAssertion reports whether m forwards a signed assertion.
func (m *Mapping) IsAssertion() bool { return m.assertion }

// SetSigner makes an assertion mapping sign with sign; until then it
// forwards nothing.
func (m *Mapping) SetSigner(sign SignFunc) { m.sign = sign }

// ClaimPaths lists the claim paths m's template forwards, in order.
func (m *Mapping) ClaimPaths() []string {
	var out []string
	for _, p := range m.parts {
		if p.kind == partClaim {
			out = append(out, p.path)
		}
	}
	return out
}

// templatePart is literal text or one identity value.
type templatePart struct {
	literal string
	kind    partKind
	path    string       // claim path for partClaim
	field   sessionField // for partSessionField
}

type partKind uint8

const (
	partLiteral partKind = iota
	partSubject
	partSession
	partClaim
	partSessionField
)

// Defaults is the header set forwarded when none is configured.
func Defaults() []Spec {
	return []Spec{
		{Name: "X-Auth-User-Id", Value: "{sub}"},
		{Name: "X-Auth-Email", Value: "{claims.email}"},
		{Name: "X-Auth-Roles", Value: "{claims.roles}"},
		{Name: "X-Auth-Session-Id", Value: "{session.id}"},
	}
}

// Compile checks and compiles header specs.
func Compile(cfgs []Spec) ([]Mapping, error) {
	out := make([]Mapping, 0, len(cfgs))
	for _, hc := range cfgs {
		if hc.Name == "" || strings.ContainsAny(hc.Name, " \t\r\n:") {
			return nil, fmt.Errorf("header name %q is not valid", hc.Name)
		}
		if headername.Equal(hc.Name, ClaimErrorsHeader) {
			return nil, fmt.Errorf("header %s is reserved for the failures of validators in pass mode", hc.Name)
		}
		if hc.Value == AssertionTemplate && !hc.JSON {
			out = append(out, Mapping{name: http.CanonicalHeaderKey(hc.Name), assertion: true})
			continue
		}
		parts, err := compileTemplate(hc.Value)
		if err != nil {
			return nil, fmt.Errorf("header %s: %w", hc.Name, err)
		}
		if hc.JSON && (len(parts) != 1 || parts[0].kind != partClaim) {
			return nil, fmt.Errorf("header %s: json needs a single {claims.PATH} value", hc.Name)
		}
		out = append(out, Mapping{name: http.CanonicalHeaderKey(hc.Name), parts: parts, json: hc.JSON})
	}
	return out, nil
}

// compileTemplate splits a value template into literal and identity parts.
// Only {sub}, {session.id}, the session fields of sessionFields and
// {claims.PATH} are known; anything else in braces is an error so that
// typos do not silently forward nothing.
func compileTemplate(tpl string) ([]templatePart, error) {
	var parts []templatePart
	for tpl != "" {
		open := strings.IndexByte(tpl, '{')
		if open < 0 {
			parts = append(parts, templatePart{literal: tpl})
			break
		}
		if open > 0 {
			parts = append(parts, templatePart{literal: tpl[:open]})
		}
		end := strings.IndexByte(tpl[open:], '}')
		if end < 0 {
			return nil, fmt.Errorf("unclosed placeholder in %q", tpl)
		}
		p, err := placeholderPart(tpl[open+1 : open+end])
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
		tpl = tpl[open+end+1:]
	}
	if strings.ContainsAny(joinLiterals(parts), "\r\n\x00") {
		return nil, fmt.Errorf("header template contains control characters")
	}
	return parts, nil
}

func placeholderPart(name string) (templatePart, error) {
	switch {
	case name == "sub":
		return templatePart{kind: partSubject}, nil
	case name == "session.id":
		return templatePart{kind: partSession}, nil
	case strings.HasPrefix(name, "session."):
		if f, ok := sessionFields[name[len("session."):]]; ok {
			return templatePart{kind: partSessionField, field: f}, nil
		}
		return templatePart{}, fmt.Errorf("unknown placeholder {%s}: the session fields are %s", name, sessionFieldList())
	case strings.HasPrefix(name, "claims.") && len(name) > len("claims."):
		return templatePart{kind: partClaim, path: name[len("claims."):]}, nil
	}
	return templatePart{}, fmt.Errorf("unknown placeholder {%s}: use {sub}, {session.id}, {session.FIELD} or {claims.PATH}", name)
}

// CheckTemplate reports whether tpl is a header value template Compile
// accepts, so that configuration adapters refuse a bad one (an unknown
// {session.*} field, say) before anything runs.
func CheckTemplate(tpl string) error {
	if tpl == AssertionTemplate {
		return nil
	}
	_, err := compileTemplate(tpl)
	return err
}

func joinLiterals(parts []templatePart) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.literal)
	}
	return b.String()
}

// render returns the header value for id, or "" when it has no value. An
// assertion is made for audience aud.
func (m *Mapping) render(id *verifier.Identity, aud string) string {
	if m.assertion {
		if m.sign == nil {
			return ""
		}
		return m.sign(id, aud, time.Now())
	}
	if len(m.parts) == 1 {
		return m.renderPart(&m.parts[0], id)
	}
	var b strings.Builder
	for i := range m.parts {
		b.WriteString(m.renderPart(&m.parts[i], id))
	}
	return b.String()
}

func (m *Mapping) renderPart(p *templatePart, id *verifier.Identity) string {
	switch p.kind {
	case partSubject:
		return claims.FormatHeaderValue(id.Subject)
	case partSession:
		return claims.FormatHeaderValue(id.SessionID)
	case partSessionField:
		return renderSessionField(p.field, id.Session)
	case partClaim:
		v, ok := claims.Lookup(id.Claims, p.path)
		if !ok {
			return ""
		}
		if m.json {
			// Not json.Marshal: it leaves DEL raw, which Go's transport
			// refuses in a header, turning a user's claim into a 502.
			return claims.FormatHeaderJSON(v)
		}
		return claims.FormatHeaderValue(v)
	}
	return p.literal
}

// HeaderPolicy decides which inbound headers are identity headers.
type HeaderPolicy struct {
	mapped []string            // folded names of mapped headers outside X-Auth-
	spared map[string]struct{} // canonical names of credential headers (read, not stripped)
}

// NewHeaderPolicy makes the policy for mappings on a route that reads
// credentials from credentialHeaders: those are spared when stripping
// (they are read first) and refused as trailers.
func NewHeaderPolicy(mappings []Mapping, credentialHeaders []string) HeaderPolicy {
	hp := HeaderPolicy{spared: map[string]struct{}{}}
	for _, m := range mappings {
		folded := headername.Fold(m.name)
		if !strings.HasPrefix(folded, identityHeaderPrefix) && !slices.Contains(hp.mapped, folded) {
			hp.mapped = append(hp.mapped, folded)
		}
	}
	for _, h := range credentialHeaders {
		hp.spared[http.CanonicalHeaderKey(h)] = struct{}{}
	}
	return hp
}

// IsIdentity reports whether name, in any spelling, is an identity header:
// X-Auth-* or a mapped header.
func (hp HeaderPolicy) IsIdentity(name string) bool {
	if headername.HasPrefix(name, identityHeaderPrefix) {
		return true
	}
	for _, m := range hp.mapped {
		if len(name) == len(m) && headername.HasPrefix(name, m) {
			return true
		}
	}
	return false
}

// StripInbound deletes every identity header a client sent, in any spelling,
// and drops identity header names from Connection so a hop-by-hop
// nomination cannot make the proxy remove the values authgate sets.
func (hp HeaderPolicy) StripInbound(h http.Header) {
	for name := range h {
		if _, spared := hp.spared[name]; spared {
			continue
		}
		if hp.IsIdentity(name) {
			delete(h, name)
		}
	}
	if conn, ok := h["Connection"]; ok {
		if kept := hp.filterConnection(conn); len(kept) > 0 {
			h["Connection"] = kept
		} else {
			delete(h, "Connection")
		}
	}
}

func (hp HeaderPolicy) filterConnection(values []string) []string {
	out := values[:0]
	for _, v := range values {
		var kept []string
		for _, tok := range strings.Split(v, ",") {
			if t := strings.TrimSpace(tok); t != "" && !hp.IsIdentity(t) {
				kept = append(kept, t)
			}
		}
		if len(kept) > 0 {
			out = append(out, strings.Join(kept, ", "))
		}
	}
	return out
}

// Apply sets the mapped identity headers on the upstream request; an
// assertion is made for audience aud (the route's assertion_audience).
func Apply(h http.Header, mappings []Mapping, id *verifier.Identity, aud string) {
	for i := range mappings {
		if v := mappings[i].render(id, aud); v != "" {
			h[mappings[i].name] = []string{v}
		}
	}
}
