package verifier

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authgate/authgate/internal/httpx"
	"github.com/authgate/authgate/internal/jsonnum"
	"github.com/authgate/authgate/internal/redact"
)

// maxRetryAfter bounds the Retry-After hint passed on from the service.
const maxRetryAfter = time.Minute

// call makes one introspection call and reads its answer. Every way the
// call can fail to prove anything (no connection, timeout, an unexpected
// status, a body that is too large or not the expected JSON) is an
// *UnavailableError: never a pass, and never mistaken for an inactive token.
func (v *IntrospectVerifier) call(ctx context.Context, token string) (introspection, error) {
	release, err := v.acquire(ctx)
	if err != nil {
		return introspection{}, err
	}
	defer release()
	req, err := v.newRequest(ctx, token)
	if err != nil {
		return introspection{}, unavailable(fmt.Errorf("building introspection request: %w", err))
	}
	resp, err := v.client.Do(req)
	if err != nil {
		// url.Error names the configured URL, query included (an API key,
		// often); never the token, which travels in the body or a header.
		return introspection{}, unavailable(fmt.Errorf("calling introspection endpoint: %w", redact.Error(err)))
	}
	defer httpx.DrainClose(resp.Body)
	if v.cfg.Mode == IntrospectJSON && slices.Contains(v.cfg.InactiveStatus, resp.StatusCode) {
		return v.inactive(), nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return introspection{}, &UnavailableError{
			Reason:     ReasonIntrospectionUnavailable,
			RetryAfter: retryAfter(resp.Header.Get("Retry-After")),
			Err:        fmt.Errorf("introspection endpoint answered %d", resp.StatusCode),
		}
	}
	doc, err := v.readAnswer(resp.Body)
	if err != nil {
		return introspection{}, unavailable(err)
	}
	a, err := v.parseAnswer(doc)
	if err != nil {
		return introspection{}, unavailable(fmt.Errorf("reading introspection answer: %w", err))
	}
	return v.result(a), nil
}

func unavailable(err error) error {
	return Unavailable(ReasonIntrospectionUnavailable, err)
}

// newRequest builds the call for the configured mode: a form post (RFC
// 7662), a JSON post, or a bodiless call forwarding the token as a cookie or
// header.
func (v *IntrospectVerifier) newRequest(ctx context.Context, token string) (*http.Request, error) {
	var body io.Reader
	var ctype string
	switch {
	case v.cfg.Mode == IntrospectRFC7662:
		body, ctype = strings.NewReader(url.Values{"token": {token}}.Encode()), "application/x-www-form-urlencoded"
	case v.cfg.Forward == nil:
		b, err := json.Marshal(map[string]string{v.cfg.TokenField: token})
		if err != nil {
			return nil, err
		}
		body, ctype = bytes.NewReader(b), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, v.cfg.Method, v.cfg.URL, body)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	if v.auth != "" {
		req.Header.Set("Authorization", v.auth)
	}
	if f := v.cfg.Forward; f != nil {
		v.forward(req, *f, token)
	}
	return req, nil
}

// forward puts the token where a whoami endpoint expects it. checkToken has
// already limited it to visible ASCII (cookie octets for a cookie), so it
// can neither split the header nor add a cookie.
func (v *IntrospectVerifier) forward(req *http.Request, f Source, token string) {
	if f.Kind == SourceCookie {
		req.Header.Set("Cookie", f.Name+"="+token)
		return
	}
	if f.Scheme != "" {
		token = f.Scheme + " " + token
	}
	req.Header.Set(f.Name, token)
}

// readAnswer reads a body of at most MaxBodyBytes holding one JSON object.
func (v *IntrospectVerifier) readAnswer(r io.Reader) (map[string]any, error) {
	body, err := httpx.ReadCapped(r, v.cfg.MaxBodyBytes)
	if err != nil {
		return nil, fmt.Errorf("reading introspection answer: %w", err)
	}
	var doc map[string]any
	if err := jsonnum.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("decoding introspection answer: %w", err)
	}
	if doc == nil {
		return nil, fmt.Errorf("decoding introspection answer: not a JSON object")
	}
	return doc, nil
}

// retryAfter reads a Retry-After header in seconds, bounded; 0 when absent
// or in another form.
func retryAfter(h string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || n <= 0 {
		return 0
	}
	return min(time.Duration(n)*time.Second, maxRetryAfter)
}
