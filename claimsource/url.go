package claimsource

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/authgate/authgate/claims"
	"github.com/authgate/authgate/verifier"
)

// ErrUnsafeURL means a claim-source URL could not be built safely for an
// identity: a placeholder value was missing or not a scalar, a path segment
// came out empty, "." or "..", or the result left the configured scheme,
// host or path prefix. No request is sent.
var ErrUnsafeURL = errors.New("unsafe claim source URL")

// URLTemplate is a claim-source URL such as
// https://users.internal/v1/users/{sub}/roles?org={claims.org}. Its
// placeholders are authgate's own: {sub}, {session.id} and {claims.PATH}
// (a claim path, see Lookup). Each value is escaped for its position: as a
// path segment (url.PathEscape, so "/", "?", "#" and "%" cannot change the
// URL's structure) or as a query value (url.QueryEscape). Placeholders are
// only allowed after the host, and a fragment is refused. Request-time
// values therefore never choose the scheme, host or path prefix.
type URLTemplate struct {
	parts  []urlPart
	scheme string
	host   string
	user   string // userinfo as written, compared on every build
	prefix string // escaped path before the first path placeholder
	// subjectOnly is true when the URL depends on nothing but {sub}, so
	// every identity of one subject fetches the same URL.
	subjectOnly bool
}

type urlPart struct {
	literal string
	kind    urlPartKind
	path    string // claim path of urlClaim
	query   bool   // after "?": escaped as a query value
	segment bool   // in the path, between "/" and "/", "?" or the end
}

type urlPartKind uint8

const (
	urlLiteral urlPartKind = iota
	urlSubject
	urlSession
	urlClaim
)

// ParseURLTemplate checks and compiles a claim-source URL template. The URL
// must be absolute http or https, with every placeholder after the host.
func ParseURLTemplate(raw string) (*URLTemplate, error) {
	t := &URLTemplate{subjectOnly: true}
	if err := t.split(raw); err != nil {
		return nil, fmt.Errorf("parsing claim source URL: %w", err)
	}
	if err := t.setOrigin(); err != nil {
		return nil, fmt.Errorf("parsing claim source URL: %w", err)
	}
	return t, nil
}

// split cuts raw into literal text and placeholders, noting for each
// placeholder whether it sits in the query.
func (t *URLTemplate) split(raw string) error {
	if strings.ContainsAny(raw, "#\r\n\t \x00") {
		return errors.New("fragments, spaces and control characters are not allowed")
	}
	query := false
	for raw != "" {
		open := strings.IndexByte(raw, '{')
		if open < 0 {
			t.parts = append(t.parts, urlPart{literal: raw})
			return nil
		}
		if open > 0 {
			t.parts = append(t.parts, urlPart{literal: raw[:open]})
			query = query || strings.Contains(raw[:open], "?")
		}
		end := strings.IndexByte(raw[open:], '}')
		if end < 0 {
			return errors.New("unclosed placeholder")
		}
		p, err := urlPlaceholder(raw[open+1 : open+end])
		if err != nil {
			return err
		}
		p.query = query
		t.subjectOnly = t.subjectOnly && p.kind == urlSubject
		t.parts = append(t.parts, p)
		raw = raw[open+end+1:]
	}
	t.markSegments()
	return nil
}

// markSegments notes which path placeholders make up a whole segment: a
// "." or ".." value there would be a dot segment.
func (t *URLTemplate) markSegments() {
	for i := range t.parts {
		p := &t.parts[i]
		if p.kind == urlLiteral || p.query {
			continue
		}
		before := i > 0 && t.parts[i-1].kind == urlLiteral && strings.HasSuffix(t.parts[i-1].literal, "/")
		after := i == len(t.parts)-1 ||
			t.parts[i+1].kind == urlLiteral && strings.IndexAny(t.parts[i+1].literal, "/?") == 0
		p.segment = before && after
	}
}

func urlPlaceholder(name string) (urlPart, error) {
	switch {
	case name == "sub":
		return urlPart{kind: urlSubject}, nil
	case name == "session.id":
		return urlPart{kind: urlSession}, nil
	case strings.HasPrefix(name, "claims.") && len(name) > len("claims."):
		return urlPart{kind: urlClaim, path: name[len("claims."):]}, nil
	}
	return urlPart{}, fmt.Errorf("unknown placeholder {%s}: use {sub}, {session.id} or {claims.PATH}", name)
}

// setOrigin records the scheme, host and path prefix every built URL must
// keep, and checks that no placeholder comes before the path.
func (t *URLTemplate) setOrigin() error {
	first := t.parts[0].literal
	if t.parts[0].kind != urlLiteral {
		first = ""
	}
	scheme, rest, ok := strings.Cut(first, "://")
	if !ok || (scheme != "http" && scheme != "https") {
		return errors.New("must start with http:// or https://")
	}
	if !strings.ContainsAny(rest, "/?") {
		return errors.New("placeholders are only allowed in the path and query")
	}
	u, err := url.Parse(first)
	if err != nil {
		return err
	}
	if u.Host == "" {
		return errors.New("missing host")
	}
	t.scheme, t.host, t.user = u.Scheme, u.Host, u.User.String()
	// The prefix is the path written before the first placeholder, even
	// when it does not end at a "/" (".../users/u-{sub}").
	t.prefix = u.EscapedPath()
	// A build with harmless values must pass the same checks as at request
	// time, so a template that can never produce a safe URL fails now.
	if _, err := t.assemble(func(urlPart) (string, bool) { return "x", true }); err != nil {
		return err
	}
	return nil
}

// Build returns the URL for id. It fails with ErrUnsafeURL, without
// revealing any value, when a placeholder value is missing, is an array or
// object, is empty in the path, would make a "." or ".." path segment, or
// when the result does not keep the configured scheme, host and path
// prefix.
func (t *URLTemplate) Build(id *verifier.Identity) (string, error) {
	return t.assemble(func(p urlPart) (string, bool) { return placeholderValue(p, id) })
}

// SubjectOnly reports whether the URL depends on the subject alone.
func (t *URLTemplate) SubjectOnly() bool { return t.subjectOnly }

func (t *URLTemplate) assemble(value func(urlPart) (string, bool)) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		if p.kind == urlLiteral {
			b.WriteString(p.literal)
			continue
		}
		v, ok := value(p)
		switch {
		case !ok:
			return "", fmt.Errorf("placeholder has no usable value: %w", ErrUnsafeURL)
		case p.query:
			b.WriteString(url.QueryEscape(v))
		case v == "" || p.segment && (v == "." || v == ".."):
			return "", fmt.Errorf("placeholder makes an empty or dot path segment: %w", ErrUnsafeURL)
		default:
			b.WriteString(url.PathEscape(v))
		}
	}
	built := b.String()
	if err := t.check(built); err != nil {
		return "", err
	}
	return built, nil
}

// check re-parses a built URL and verifies that it kept the configured
// origin and path prefix and has no dot segments, however the values were
// escaped. It is the last line of defence behind the escaping above.
func (t *URLTemplate) check(built string) error {
	u, err := url.Parse(built)
	if err != nil {
		return fmt.Errorf("built URL does not parse: %w", ErrUnsafeURL)
	}
	path := u.EscapedPath()
	if u.Scheme != t.scheme || u.Host != t.host || u.User.String() != t.user ||
		u.Fragment != "" || u.Opaque != "" || !strings.HasPrefix(path, t.prefix) {
		return fmt.Errorf("built URL leaves the configured prefix: %w", ErrUnsafeURL)
	}
	for seg := range strings.SplitSeq(path, "/") {
		// Compare decoded: some servers normalise "%2e%2e" to "..".
		if dec, err := url.PathUnescape(seg); err != nil || dec == "." || dec == ".." {
			return fmt.Errorf("built URL has a dot segment: %w", ErrUnsafeURL)
		}
	}
	return nil
}

// placeholderValue renders one placeholder for id. Strings are used as
// they are, numbers and booleans as JSON writes them; a missing claim, null,
// an array or an object has no URL form.
func placeholderValue(p urlPart, id *verifier.Identity) (string, bool) {
	switch p.kind {
	case urlSubject:
		return id.Subject, true
	case urlSession:
		return id.SessionID, id.SessionID != "" || p.query
	}
	raw, ok := claims.Lookup(id.Claims, p.path)
	if !ok {
		return "", false
	}
	raw, _, _ = claims.Unwrap(raw)
	switch v := raw.(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case nil, []any, map[string]any:
		return "", false
	}
	if b, ok := claims.AppendNumber(nil, raw); ok {
		return string(b), true
	}
	return "", false
}
