package caddymodule

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/verifier"
)

// identityHeaderPrefix marks headers that only authgate may set. Every
// inbound header whose folded name starts with it is deleted.
const identityHeaderPrefix = "x-auth-"

// headerMapping is a compiled HeaderConfig.
type headerMapping struct {
	name      string // canonical header name
	parts     []templatePart
	json      bool
	assertion bool             // value is a signed assertion (`header NAME assertion`)
	signer    *assertionSigner // set at provision when assertion is true
}

// templatePart is literal text or one identity value.
type templatePart struct {
	literal string
	kind    partKind
	path    string // claim path for partClaim
}

type partKind uint8

const (
	partLiteral partKind = iota
	partSubject
	partSession
	partClaim
)

func defaultHeaders() []HeaderConfig {
	return []HeaderConfig{
		{Name: "X-Auth-User-Id", Value: "{sub}"},
		{Name: "X-Auth-Email", Value: "{claims.email}"},
		{Name: "X-Auth-Roles", Value: "{claims.roles}"},
		{Name: "X-Auth-Session-Id", Value: "{session.id}"},
	}
}

func compileHeaders(cfgs []HeaderConfig) ([]headerMapping, error) {
	out := make([]headerMapping, 0, len(cfgs))
	for _, hc := range cfgs {
		if hc.Name == "" || strings.ContainsAny(hc.Name, " \t\r\n:") {
			return nil, fmt.Errorf("header name %q is not valid", hc.Name)
		}
		if hc.Value == assertionTemplate && !hc.JSON {
			out = append(out, headerMapping{name: http.CanonicalHeaderKey(hc.Name), assertion: true})
			continue
		}
		parts, err := compileTemplate(hc.Value)
		if err != nil {
			return nil, fmt.Errorf("header %s: %w", hc.Name, err)
		}
		if hc.JSON && (len(parts) != 1 || parts[0].kind != partClaim) {
			return nil, fmt.Errorf("header %s: json needs a single {claims.PATH} value", hc.Name)
		}
		out = append(out, headerMapping{name: http.CanonicalHeaderKey(hc.Name), parts: parts, json: hc.JSON})
	}
	return out, nil
}

// compileTemplate splits a value template into literal and identity parts.
// Only {sub}, {session.id} and {claims.PATH} are known; anything else in
// braces is an error so that typos do not silently forward nothing.
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
	case strings.HasPrefix(name, "claims.") && len(name) > len("claims."):
		return templatePart{kind: partClaim, path: name[len("claims."):]}, nil
	}
	return templatePart{}, fmt.Errorf("unknown placeholder {%s}: use {sub}, {session.id} or {claims.PATH}", name)
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
func (m *headerMapping) render(id *verifier.Identity, aud string) string {
	if m.assertion {
		if m.signer == nil {
			return ""
		}
		return m.signer.token(id, aud, time.Now())
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

func (m *headerMapping) renderPart(p *templatePart, id *verifier.Identity) string {
	switch p.kind {
	case partSubject:
		return policy.FormatHeaderValue(id.Subject)
	case partSession:
		return policy.FormatHeaderValue(id.SessionID)
	case partClaim:
		v, ok := policy.Lookup(id.Claims, p.path)
		if !ok {
			return ""
		}
		if m.json {
			// Not json.Marshal: it leaves DEL raw, which Go's transport
			// refuses in a header, turning a user's claim into a 502.
			return policy.FormatHeaderJSON(v)
		}
		return policy.FormatHeaderValue(v)
	}
	return p.literal
}

// foldByte lowercases c and maps '_' and '.' to '-', the way CGI, WSGI and
// PHP fold header names into one variable: X_Auth_User reaches such apps as
// X-Auth-User, and PHP also turns the dots of X.Auth.User (HTTP_X.AUTH.USER
// behind FastCGI) into underscores, so every spelling must be stripped.
func foldByte(c byte) byte {
	switch {
	case c == '_', c == '.':
		return '-'
	case 'A' <= c && c <= 'Z':
		return c + ('a' - 'A')
	}
	return c
}

// foldHasPrefix reports whether name, folded, starts with the folded
// prefix. It does not allocate: it runs for every inbound header.
func foldHasPrefix(name, folded string) bool {
	if len(name) < len(folded) {
		return false
	}
	for i := 0; i < len(folded); i++ {
		if foldByte(name[i]) != folded[i] {
			return false
		}
	}
	return true
}

// foldHeaderName returns name folded (see foldByte).
func foldHeaderName(name string) string {
	b := []byte(name)
	for i := range b {
		b[i] = foldByte(b[i])
	}
	return string(b)
}

// headerPolicy decides which inbound headers are identity headers.
type headerPolicy struct {
	mapped []string            // folded names of mapped headers outside X-Auth-
	spared map[string]struct{} // canonical names of credential headers (read, not stripped)
}

func newHeaderPolicy(mappings []headerMapping, credentialHeaders []string) headerPolicy {
	hp := headerPolicy{spared: map[string]struct{}{}}
	for _, m := range mappings {
		folded := foldHeaderName(m.name)
		if !strings.HasPrefix(folded, identityHeaderPrefix) && !slices.Contains(hp.mapped, folded) {
			hp.mapped = append(hp.mapped, folded)
		}
	}
	for _, h := range credentialHeaders {
		hp.spared[http.CanonicalHeaderKey(h)] = struct{}{}
	}
	return hp
}

func (hp headerPolicy) isIdentity(name string) bool {
	if foldHasPrefix(name, identityHeaderPrefix) {
		return true
	}
	for _, m := range hp.mapped {
		if len(name) == len(m) && foldHasPrefix(name, m) {
			return true
		}
	}
	return false
}

// stripInbound deletes every identity header a client sent, in any spelling,
// and drops identity header names from Connection so a hop-by-hop
// nomination cannot make the proxy remove the values authgate sets.
func (hp headerPolicy) stripInbound(h http.Header) {
	for name := range h {
		if _, spared := hp.spared[name]; spared {
			continue
		}
		if hp.isIdentity(name) {
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

func (hp headerPolicy) filterConnection(values []string) []string {
	out := values[:0]
	for _, v := range values {
		var kept []string
		for _, tok := range strings.Split(v, ",") {
			if t := strings.TrimSpace(tok); t != "" && !hp.isIdentity(t) {
				kept = append(kept, t)
			}
		}
		if len(kept) > 0 {
			out = append(out, strings.Join(kept, ", "))
		}
	}
	return out
}

// applyHeaders sets the mapped identity headers on the upstream request;
// an assertion is made for audience aud (the route's assertion_audience).
func applyHeaders(h http.Header, mappings []headerMapping, id *verifier.Identity, aud string) {
	for i := range mappings {
		if v := mappings[i].render(id, aud); v != "" {
			h[mappings[i].name] = []string{v}
		}
	}
}
