package oidclogin

import (
	"context"
	"slices"
)

// Names returns the names of the set's providers, sorted.
func (s *Set) Names() []string {
	if s == nil {
		return nil
	}
	names := make([]string, 0, len(s.byName))
	for name := range s.byName {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Discovered reports whether the provider's discovery document has been
// read. While it has not, asking starts a discovery (at most one per
// retry interval) and waits for it briefly, like a login would, so a
// readiness probe sees a provider that came back.
func (p *Provider) Discovered(ctx context.Context) bool {
	_, err := p.discovered(ctx)
	return err == nil
}
