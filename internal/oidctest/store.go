package oidctest

import (
	"context"
	"slices"
	"sync"

	"github.com/ory/fosite"
	"github.com/ory/fosite/storage"
)

// scopes are the scopes the client may request. fosite refuses any other
// with invalid_scope, as a real provider does for an unregistered scope.
var scopes = []string{"openid", "email", "profile", "offline_access", "offline", "groups"}

// clientStore is fosite's memory store (codes, PKCE sessions, tokens; each
// map behind its own mutex) serving one confidential client. The store's
// Clients map has no locked setter, and AllowRedirect may run while logins
// are in flight, so the client is built afresh under our own lock on every
// lookup instead of being mutated in place.
type clientStore struct {
	*storage.MemoryStore

	mu        sync.RWMutex
	id        string
	hashed    []byte // bcrypt hash of the client secret, as fosite compares it
	redirects []string
}

// newClientStore returns a store whose only client is id with the given
// bcrypt-hashed secret and redirect URIs.
func newClientStore(id string, hashed []byte, redirects []string) *clientStore {
	return &clientStore{
		MemoryStore: storage.NewMemoryStore(),
		id:          id,
		hashed:      hashed,
		redirects:   slices.Clone(redirects),
	}
}

// GetClient implements fosite.ClientManager. A plain DefaultClient (not an
// OpenIDConnectClient) has no token_endpoint_auth_method, so fosite accepts
// both client_secret_basic and client_secret_post for it.
func (s *clientStore) GetClient(_ context.Context, id string) (fosite.Client, error) {
	if id != s.id {
		return nil, fosite.ErrNotFound
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return &fosite.DefaultClient{
		ID:            s.id,
		Secret:        s.hashed,
		RedirectURIs:  slices.Clone(s.redirects),
		GrantTypes:    []string{"authorization_code", "refresh_token"},
		ResponseTypes: []string{"code"},
		Scopes:        slices.Clone(scopes),
	}, nil
}

// allowRedirect registers one more redirect URI.
func (s *clientStore) allowRedirect(uri string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.redirects, uri) {
		s.redirects = append(s.redirects, uri)
	}
}
