package oidctest

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// redirectURI is the test client's callback. Nothing listens there: the
// browser stops at the redirect and the test reads code and state from it.
const redirectURI = "http://127.0.0.1:1/callback"

// testOptions returns Options with the test client and redirectURI.
func testOptions() Options {
	return Options{ClientID: "app", ClientSecret: "app-secret", RedirectURIs: []string{redirectURI}}
}

// rp is a relying party that drives the provider the way authgate does:
// go-oidc for discovery and verification, x/oauth2 for the code exchange,
// and a browser that keeps cookies.
type rp struct {
	t        *testing.T
	op       *Provider
	provider *oidc.Provider
	conf     oauth2.Config
	browser  *http.Client
}

// newRP discovers op and returns a relying party for its client.
func newRP(t *testing.T, op *Provider, opts Options) *rp {
	t.Helper()
	provider, err := oidc.NewProvider(context.Background(), op.Issuer())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	// An explicit auth style: x/oauth2's auto-detection retries every failed
	// exchange with the other style, which would double /token calls and,
	// after fosite burns the PKCE session, change the error code.
	endpoint := provider.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInHeader
	return &rp{
		t:        t,
		op:       op,
		provider: provider,
		conf: oauth2.Config{
			ClientID:     opts.ClientID,
			ClientSecret: opts.ClientSecret,
			Endpoint:     endpoint,
			RedirectURL:  redirectURI,
			Scopes:       []string{oidc.ScopeOpenID, "email", "profile"},
		},
		browser: newBrowser(t),
	}
}

// newBrowser returns a client with its own cookie jar that follows
// redirects except the one back to redirectURI.
func newBrowser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), redirectURI) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

// start sends the browser to the authorization endpoint and returns the
// last response: the login form, an error, or the redirect to the client.
func (c *rp) start(state string, opts ...oauth2.AuthCodeOption) *http.Response {
	c.t.Helper()
	resp, err := c.browser.Get(c.conf.AuthCodeURL(state, opts...))
	if err != nil {
		c.t.Fatalf("authorization request: %v", err)
	}
	c.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// callbackParams returns the query of resp's redirect to the client.
func callbackParams(t *testing.T, resp *http.Response) url.Values {
	t.Helper()
	loc, err := resp.Location()
	if err != nil || !strings.HasPrefix(loc.String(), redirectURI) {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("want a redirect to the client, got %d %v: %s", resp.StatusCode, loc, body)
	}
	return loc.Query()
}

// login authorizes with PKCE and nonce and returns the code and verifier;
// the provider must approve without a form (AutoLogin).
func (c *rp) login(nonce string) (code, verifier string) {
	c.t.Helper()
	verifier = oauth2.GenerateVerifier()
	q := callbackParams(c.t, c.start("state-1234", oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)))
	if q.Get("state") != "state-1234" || q.Get("code") == "" {
		c.t.Fatalf("callback = %v, want a code and state-1234", q)
	}
	return q.Get("code"), verifier
}

// exchange redeems code at the token endpoint.
func (c *rp) exchange(code, verifier string) (*oauth2.Token, error) {
	return c.conf.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
}

// verify checks the ID token of tok with go-oidc, as a relying party does.
func (c *rp) verify(tok *oauth2.Token) *oidc.IDToken {
	c.t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	id, err := c.provider.Verifier(&oidc.Config{ClientID: c.conf.ClientID}).Verify(context.Background(), raw)
	if err != nil {
		c.t.Fatalf("verifying the ID token: %v", err)
	}
	return id
}

// wantOAuthError fails unless err is an OAuth error response with code.
func wantOAuthError(t *testing.T, err error, code string) {
	t.Helper()
	re, ok := err.(*oauth2.RetrieveError)
	if !ok || re.ErrorCode != code {
		t.Fatalf("error = %v, want OAuth error %q", err, code)
	}
}

// hiddenInput matches the hidden fields html/template renders.
var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)

// formFields returns the hidden fields of the login form in body.
func formFields(body string) url.Values {
	form := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(body, -1) {
		form.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return form
}
