// Package forward publishes a verified identity to the upstream request and
// keeps clients from forging it.
//
// Compile turns header specs ({sub}, {session.id}, {claims.PATH} templates,
// or a signed assertion) into Mappings that Apply renders with the
// one-to-one header encoding of package claims. A HeaderPolicy strips every
// inbound spelling of an identity header (and its Connection nomination)
// before authentication, and refuses or scrubs identity and credential
// names sent as request trailers.
//
// It depends on verifier, claims (claim lookup and header encoding) and the
// standard library: no Caddy, no zap, and it never reads a credential.
package forward
