package explain

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// Request describes the request to explain: the body of POST
// /authgate/explain. Token is sent as `Authorization: Bearer <token>`;
// Cookies are name=value pairs; Headers are "Name: value" lines.
type Request struct {
	Method  string   `json:"method,omitempty"` // default GET
	URL     string   `json:"url"`
	Token   string   `json:"token,omitempty"`
	Cookies []string `json:"cookies,omitempty"`
	Headers []string `json:"headers,omitempty"`
	// Fetch allows calls to claim sources and introspection endpoints.
	Fetch bool `json:"fetch,omitempty"`
	// Checks and Permissions are questions to the check endpoint (named
	// checks, permissions): the explanation is then of the endpoint's
	// answer for the credential, authenticated as the URL's route
	// authenticates, added to a GET's own query when the URL is the
	// endpoint's.
	Checks      []string `json:"checks,omitempty"`
	Permissions []string `json:"permissions,omitempty"`
}

// NewTrace starts the trace of r, the request d describes, in mode: the
// request is named by its method and its URL without query, fragment or
// user information.
func NewTrace(mode string, d Request, r *http.Request) *Trace {
	return &Trace{Mode: mode, Request: RequestTrace{Method: r.Method, URL: withoutQuery(d.URL), Fetch: d.Fetch}}
}

// withoutQuery drops a URL's query and fragment and the user and password
// before its host, which may hold secrets: traces name the path only.
func withoutQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(not a URL)"
	}
	cut := u.RawQuery != "" || u.ForceQuery
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	if cut {
		return u.String() + "?…"
	}
	return u.String()
}

// HTTPRequest builds the request described. The URL must be absolute
// (http or https); https requests look as if they arrived over TLS.
func (d Request) HTTPRequest() (*http.Request, error) {
	u, err := url.Parse(d.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("url must be an absolute http or https URL")
	}
	method := strings.ToUpper(d.Method)
	if method == "" {
		method = http.MethodGet
	}
	r, err := http.NewRequest(method, d.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("building request: %w", err)
	}
	r.RequestURI = u.RequestURI()
	r.RemoteAddr = "127.0.0.1:0"
	if u.Scheme == "https" {
		r.TLS = &tls.ConnectionState{ServerName: u.Hostname()}
	}
	for _, line := range d.Headers {
		name, value, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, errors.New(`headers must be "Name: value"`)
		}
		name, value = textproto.TrimString(name), textproto.TrimString(value)
		if strings.EqualFold(name, "Host") {
			r.Host = value // Go sends the host from r.Host, never a Host header
			continue
		}
		r.Header.Add(name, value)
	}
	if d.Token != "" {
		r.Header.Add("Authorization", "Bearer "+d.Token)
	}
	for _, c := range d.Cookies {
		name, value, ok := strings.Cut(c, "=")
		if !ok || name == "" {
			return nil, errors.New("cookies must be name=value")
		}
		r.AddCookie(&http.Cookie{Name: name, Value: value, Quoted: false})
	}
	return r, nil
}

// digest is the first 12 hex digits of the SHA-256 of a credential: enough
// to tell two apart, useless to replay.
func digest(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:6])
}

// jwtInfo reads the unverified header and issuer of a JWT; nil when value
// is not one.
func jwtInfo(value string) *JWTInfo {
	parts := strings.Split(value, ".")
	if len(parts) != 3 {
		return nil
	}
	var hdr struct{ Alg, Kid, Typ string }
	var body struct {
		Iss string `json:"iss"`
	}
	if !decodeSegment(parts[0], &hdr) {
		return nil
	}
	decodeSegment(parts[1], &body)
	return &JWTInfo{Alg: short(hdr.Alg), Kid: short(hdr.Kid), Typ: short(hdr.Typ), Iss: short(body.Iss)}
}

func decodeSegment(seg string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	return err == nil && json.Unmarshal(b, v) == nil
}

// short bounds a value taken from an unverified token.
func short(s string) string {
	const limit = 200
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}
