package verifier

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/MicahParks/jwkset"

	"github.com/authgate/authgate/internal/httpx"
)

var errNoUsableKeys = errors.New("JWKS has no usable signature keys")

// jwksClient returns a copy of base whose transport caps and filters JWKS
// bodies. base may be nil.
func jwksClient(base *http.Client, timeout time.Duration, maxBody int64) *http.Client {
	c := &http.Client{}
	if base != nil {
		*c = *base
	}
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = jwksTransport{base: rt, maxBody: maxBody}
	if c.Timeout == 0 {
		c.Timeout = timeout
	}
	return c
}

// jwksTransport caps the size of a JWKS response and keeps only the keys
// that can verify signatures.
//
// Both jobs sit in the transport because jwkset (v0.11.3) decodes the
// response itself with no size limit, and rejects the whole set when one key
// fails its validation (an unregistered "use", an unknown "key_ops" value, a
// point off its curve, an x5u over http, …). A refresh that fails keeps the
// old set, so one odd key published next to the real ones would silently
// stop rotations from ever loading. Filtering here, key by key, is the only
// hook jwkset offers before it decodes.
type jwksTransport struct {
	base    http.RoundTripper
	maxBody int64
}

// RoundTrip fetches and, for a 200 answer, rewrites the body to the filtered
// set. Other answers pass through untouched; jwkset rejects them by status
// without reading the body.
func (t jwksTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := httpx.ReadCapped(resp.Body, t.maxBody)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading JWKS body: %w", err)
	}
	filtered, err := filterJWKS(body)
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(filtered))
	resp.ContentLength = int64(len(filtered))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// filterJWKS re-encodes a JWK Set keeping only usable signature keys, and
// only their public parameters. An empty result is an error, so an IdP
// glitch serving an empty or all-bad set never replaces good keys.
func filterJWKS(body []byte) ([]byte, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("decoding JWKS: %w", err)
	}
	kept := make([]jwkset.JWKMarshal, 0, len(set.Keys))
	for _, raw := range set.Keys {
		if m, ok := signatureKey(raw); ok {
			kept = append(kept, m)
		}
	}
	if len(kept) == 0 {
		return nil, errNoUsableKeys
	}
	return json.Marshal(jwkset.JWKSMarshal{Keys: kept})
}

// signatureKey decodes one JWK and reports whether it is a public key that
// may verify signatures: not "use":"enc", "key_ops" (if any) allowing
// "verify", a supported type and size, and valid by jwkset's own rules.
// Symmetric ("oct") keys are dropped: a JWKS must never supply HMAC secrets.
func signatureKey(raw json.RawMessage) (jwkset.JWKMarshal, bool) {
	var in jwkset.JWKMarshal
	if err := json.Unmarshal(raw, &in); err != nil {
		return in, false
	}
	if in.USE == jwkset.UseEnc || !canVerify(in.KEYOPS) || in.KTY == jwkset.KtyOct {
		return in, false
	}
	// Only public parameters travel on: private ones have no business in a
	// JWKS, and x5c/x5u are not used for trust (the JWKS URL is).
	m := jwkset.JWKMarshal{
		KTY: in.KTY, USE: in.USE, KEYOPS: in.KEYOPS, ALG: in.ALG, KID: in.KID,
		CRV: in.CRV, X: in.X, Y: in.Y, N: in.N, E: in.E,
	}
	jwk, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
	if err != nil {
		return m, false
	}
	return m, supportedPublicKey(jwk.Key())
}
