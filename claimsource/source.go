package claimsource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/authgate/authgate/claims"
	"github.com/authgate/authgate/internal/httpx"
	"github.com/authgate/authgate/internal/jsonnum"
	"github.com/authgate/authgate/verifier"
)

// ErrBadResponse means a claim source answered, but not with a usable
// value: a status other than 2xx (redirects included), a body over the size
// cap, a body that is not JSON, no value at the configured path, or a value
// over the nesting or size limits. It is never turned into a claim value.
var ErrBadResponse = errors.New("bad claim source response")

var errNoClient = errors.New("claim source has no HTTP client")

// Defaults of HTTPSource.
const (
	DefaultMaxBodyBytes = 1 << 20 // 1 MiB
	defaultMaxValues    = 256
	defaultMaxDepth     = 16
	defaultAcceptHeader = "application/json"
)

// Source fetches the current value of one claim for an identity. A
// Refresher calls it with a context that carries the claim's timeout.
type Source interface {
	Fetch(ctx context.Context, id *verifier.Identity) (any, error)
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context, id *verifier.Identity) (any, error)

// Fetch calls f.
func (f SourceFunc) Fetch(ctx context.Context, id *verifier.Identity) (any, error) {
	return f(ctx, id)
}

// HTTPSource is a Source that GETs a URL built from an identity and
// reads the claim from the JSON answer, like a userinfo endpoint. URL and
// Client are required; the other fields have defaults.
type HTTPSource struct {
	// URL is the URL template to GET.
	URL *URLTemplate
	// Path is where the value sits in the JSON body (see claims.Lookup). Empty:
	// the whole body is the value.
	Path string
	// Header is sent with every request (API keys, Accept). Default:
	// Accept: application/json.
	Header http.Header
	// Client sends the requests (see NewClient). It must not follow
	// redirects. Required.
	Client *http.Client
	// MaxBodyBytes caps the body in bytes. Default: DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxValues caps the number of JSON values in the claim value, nested
	// ones included, and MaxDepth its nesting. Defaults: 256 and 16.
	MaxValues, MaxDepth int
}

// Fetch builds the URL, sends the GET with ctx (which bounds the whole
// exchange, slow bodies included) and returns the value at Path. Errors
// carry neither the URL nor any part of the body.
func (s *HTTPSource) Fetch(ctx context.Context, id *verifier.Identity) (any, error) {
	if s.Client == nil {
		return nil, errNoClient
	}
	target, err := s.URL.Build(id)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, fmt.Errorf("building claim source request: %w", ErrUnsafeURL)
	}
	req.Header = s.header()
	resp, err := s.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("requesting claim source: %w", withoutURL(err))
	}
	defer httpx.DrainClose(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("claim source answered status %d: %w", resp.StatusCode, ErrBadResponse)
	}
	body, err := s.read(resp.Body)
	if err != nil {
		return nil, err
	}
	return s.value(body)
}

// Variant returns what, besides the subject, the URL for id depends on:
// "" when the template uses {sub} alone, else the built URL. The refresher
// adds it to its cache key, so that two tokens of one subject whose claims
// lead to different URLs never share a value.
func (s *HTTPSource) Variant(id *verifier.Identity) (string, error) {
	if s.URL.SubjectOnly() {
		return "", nil
	}
	return s.URL.Build(id)
}

func (s *HTTPSource) header() http.Header {
	h := s.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if h.Get("Accept") == "" {
		h.Set("Accept", defaultAcceptHeader)
	}
	return h
}

// read returns the body, refusing one over the cap without reading more
// than one byte past it.
func (s *HTTPSource) read(r io.Reader) ([]byte, error) {
	limit := s.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	body, err := httpx.ReadCapped(r, limit)
	if errors.Is(err, httpx.ErrTooLarge) {
		return nil, fmt.Errorf("claim source body over %d bytes: %w", limit, ErrBadResponse)
	}
	if err != nil {
		return nil, fmt.Errorf("reading claim source body: %w", withoutURL(err))
	}
	return body, nil
}

// value decodes body and picks the value at Path, within the limits.
func (s *HTTPSource) value(body []byte) (any, error) {
	var doc any
	if err := jsonnum.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("claim source body is not JSON: %w", ErrBadResponse)
	}
	v := doc
	if s.Path != "" {
		obj, _ := doc.(map[string]any)
		var ok bool
		if v, ok = claims.Lookup(obj, s.Path); !ok {
			return nil, fmt.Errorf("claim source body has no value at the configured path: %w", ErrBadResponse)
		}
	}
	maxValues, maxDepth := s.MaxValues, s.MaxDepth
	if maxValues <= 0 {
		maxValues = defaultMaxValues
	}
	if maxDepth <= 0 {
		maxDepth = defaultMaxDepth
	}
	budget := maxValues
	if !withinLimits(v, 1, maxDepth, &budget) {
		return nil, fmt.Errorf("claim value over %d values or %d levels: %w", maxValues, maxDepth, ErrBadResponse)
	}
	return v, nil
}

// withinLimits walks a decoded JSON value, spending one unit of budget per
// value, and fails past maxDepth levels or an empty budget.
func withinLimits(v any, depth, maxDepth int, budget *int) bool {
	if *budget--; *budget < 0 || depth > maxDepth {
		return false
	}
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if !withinLimits(e, depth+1, maxDepth, budget) {
				return false
			}
		}
	case []any:
		for _, e := range x {
			if !withinLimits(e, depth+1, maxDepth, budget) {
				return false
			}
		}
	}
	return true
}

// withoutURL drops the *url.Error wrapper the HTTP client adds: its text
// holds the request URL, which holds the subject and claim values.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// NewClient returns an HTTP client for claim sources: a keep-alive pool
// keeping up to 64 idle connections per host, dial and TLS handshakes
// bounded, redirects never followed (a redirect could leave the configured
// host). Per-request deadlines come from the caller's context. Build one
// per process and share it between sources and config reloads, so that
// they share its connections.
func NewClient() *http.Client {
	return httpx.NewClient(&http.Client{Transport: httpx.NewTransport(64)}, 0)
}
