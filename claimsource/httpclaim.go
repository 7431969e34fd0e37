package claimsource

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// DefaultMaxAge is the max age of an HTTPClaim that sets none.
const DefaultMaxAge = 5 * time.Minute

// registeredClaims are JWT claims that say who the token is for, not what
// the subject may do; refreshing them from elsewhere would change identity.
var registeredClaims = map[string]bool{
	"sub": true, "iss": true, "aud": true, "exp": true, "nbf": true, "iat": true, "jti": true,
}

// HTTPClaim declares a claim whose current value is fetched over HTTP, as
// a `claim` block does. Values are taken as they are: the caller expands
// any configuration placeholders first.
type HTTPClaim struct {
	// Name is the top-level claim refreshed. It cannot be a registered JWT
	// claim (sub, iss, aud, exp, nbf, iat, jti). Required.
	Name string
	// URL is the URL template to GET (see ParseURLTemplate). Required.
	URL string
	// Path is where the value sits in the JSON answer (see claims.Lookup).
	// Empty: the whole body.
	Path string
	// Header is sent with every fetch. Names and values must not hold line
	// breaks or NUL.
	Header http.Header
	// MaxAge, Timeout and StaleIfError are those of Claim. The caller
	// applies DefaultMaxAge; Timeout 0 is DefaultTimeout.
	MaxAge, Timeout, StaleIfError time.Duration
	// MaxBodyBytes, MaxValues and MaxDepth bound the answer, as in
	// HTTPSource.
	MaxBodyBytes        int64
	MaxValues, MaxDepth int
	// Client sends the requests (see NewClient). Required.
	Client *http.Client
}

// NewHTTPClaim checks c and returns the Claim that fetches it through an
// HTTPSource.
func NewHTTPClaim(c HTTPClaim) (Claim, error) {
	if c.Name == "" || registeredClaims[c.Name] {
		return Claim{}, fmt.Errorf("a claim source cannot refresh %q", c.Name)
	}
	if c.URL == "" {
		return Claim{}, errors.New("fetch is required")
	}
	if c.Client == nil {
		return Claim{}, errNoClient
	}
	tpl, err := ParseURLTemplate(c.URL)
	if err != nil {
		return Claim{}, err
	}
	if err := checkHeader(c.Header); err != nil {
		return Claim{}, err
	}
	return Claim{
		Name: c.Name,
		Source: &HTTPSource{URL: tpl, Path: c.Path, Header: c.Header, Client: c.Client,
			MaxBodyBytes: c.MaxBodyBytes, MaxValues: c.MaxValues, MaxDepth: c.MaxDepth},
		MaxAge:       c.MaxAge,
		Timeout:      c.Timeout,
		StaleIfError: c.StaleIfError,
	}, nil
}

// checkHeader refuses header names and values that would break the
// request (line breaks, NUL, or a name with spaces or a colon).
func checkHeader(h http.Header) error {
	for name, values := range h {
		if name == "" || strings.ContainsAny(name, " \t\r\n:\x00") {
			return fmt.Errorf("header name %q is not valid", name)
		}
		for _, v := range values {
			if strings.ContainsAny(v, "\r\n\x00") {
				return fmt.Errorf("header %s: value holds a line break or NUL", name)
			}
		}
	}
	return nil
}
