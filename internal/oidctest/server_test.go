package oidctest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"

	"golang.org/x/oauth2"
)

func TestStopAndStart(t *testing.T) {
	op := New(t, testOptions())
	op.AutoLogin("alice")
	c := newRP(t, op, testOptions())
	code, verifier := c.login("nonce-5678")

	op.Stop()
	op.Stop() // stopping twice is harmless
	if _, err := http.Get(op.Issuer() + "/jwks"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("request to a stopped provider: %v, want connection refused", err)
	}
	if _, err := c.exchange(code, verifier); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("exchange at a stopped provider: %v, want connection refused", err)
	}

	op.Start()
	op.Start()                             // starting twice is harmless
	tok, err := c.exchange(code, verifier) // the code survived the outage
	if err != nil {
		t.Fatalf("exchange after Start: %v", err)
	}
	c.verify(tok) // same keys, same issuer
}

func TestConcurrentLogins(t *testing.T) {
	op := New(t, testOptions())
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		sub := fmt.Sprintf("user-%d", i)
		op.SetUser(sub, map[string]any{"email": sub + "@example.com"})
		c := newRP(t, op, testOptions())
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- concurrentLogin(c, sub)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// concurrentLogin logs sub in through the form (AutoLogin is global) and
// checks the ID token names sub. It returns errors instead of failing,
// because it runs off the test goroutine.
func concurrentLogin(c *rp, sub string) error {
	verifier := oauth2.GenerateVerifier()
	resp, err := c.browser.Get(c.conf.AuthCodeURL("state-1234", oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		return err
	}
	resp.Body.Close()
	form := map[string][]string{
		"client_id": {c.conf.ClientID}, "redirect_uri": {redirectURI}, "response_type": {"code"},
		"scope": {"openid email"}, "state": {"state-1234"}, "username": {sub},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"},
	}
	resp, err = c.browser.PostForm(c.op.Issuer()+"/authorize", form)
	if err != nil {
		return err
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		return fmt.Errorf("%s: no redirect (status %d)", sub, resp.StatusCode)
	}
	tok, err := c.exchange(loc.Query().Get("code"), verifier)
	if err != nil {
		return fmt.Errorf("%s: exchange: %w", sub, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	id, err := c.provider.Verifier(&oidc.Config{ClientID: c.conf.ClientID}).Verify(context.Background(), raw)
	if err != nil || id.Subject != sub {
		return fmt.Errorf("%s: ID token %v, err %v", sub, id, err)
	}
	return nil
}

func TestMalformedRequestsGetClientErrors(t *testing.T) {
	op := New(t, testOptions())
	tests := []struct {
		name, method, path, body string
		want                     int
	}{
		{"an authorization request without parameters", "GET", "/authorize", "", http.StatusUnauthorized},
		{"an authorization request for an unknown client", "GET", "/authorize?client_id=nobody&response_type=code", "", http.StatusUnauthorized},
		{"an empty token request", "POST", "/token", "", http.StatusBadRequest},
		{"a token request with a wrong client secret", "POST", "/token", "grant_type=authorization_code&code=x&client_id=app&client_secret=wrong", http.StatusUnauthorized},
		{"a userinfo request without a token", "GET", "/userinfo", "", http.StatusUnauthorized},
		{"a userinfo request with a made-up token", "GET", "/userinfo?access_token=made.up", "", http.StatusUnauthorized},
		{"a logout without parameters", "GET", "/logout", "", http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, op.Issuer()+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}
