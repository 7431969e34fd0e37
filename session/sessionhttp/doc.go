// Package sessionhttp is the HTTP side of edge sessions: the session
// cookie, the endpoints a browser or an app calls (exchanging an
// identity-provider token for a session, logging out, asking who the
// caller is) and the logic of the admin API (sessions, their claims, the
// token deny-list).
//
// It works over the session package's manager and declares the small
// interfaces it needs from the gateway around it (how a route
// authenticates and answers, how the identity provider's side of a logout
// is ended). It must not import Caddy, certmagic or zap: the gateway's
// Caddy module registers the routes and adapts Caddy's types to these.
package sessionhttp
