// Package verifiertest provides test fixtures for package verifier and its
// users: keys generated per test run, a JWKS endpoint served by httptest
// that can rotate keys and go down, and a minter that signs any header and
// claims.
//
// It is for tests only. Every helper panics on error, because a fixture that
// cannot be built is a broken test, not a condition to handle; never import
// this package from production code.
package verifiertest
