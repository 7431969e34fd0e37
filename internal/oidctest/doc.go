// Package oidctest runs a real OpenID Provider in-process for tests: the
// authorization-code flow with PKCE, refresh tokens, userinfo, RP-initiated
// logout and back-channel logout tokens, composed from github.com/ory/fosite
// (the framework behind Ory Hydra) rather than a stub that only knows the
// happy path. Codes are single-use, PKCE S256 is enforced, redirect URIs are
// matched against a registered list, and ID tokens are RS256-signed with a
// key published at /jwks, so a relying party under test meets the same
// refusals it would meet in production.
//
// The provider listens on 127.0.0.1 (a random port) and can be stopped and
// restarted on the same address to simulate an outage. It has one
// confidential client and no user database: tests choose who logs in with
// AutoLogin, or fill in the HTML login form it serves.
//
// It is for tests only. Helpers fail the test (t.Fatal) on errors that mean
// the fixture itself is broken; never import this package from production
// code.
package oidctest
