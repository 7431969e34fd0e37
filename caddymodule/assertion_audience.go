package caddymodule

import (
	"fmt"
	"strings"

	"github.com/caddyserver/caddy/v2"
)

// assertionHeader returns the name of the header that carries the signed
// assertion, or "" when the app forwards none.
func (a *App) assertionHeader() string {
	for i := range a.headers {
		if a.headers[i].IsAssertion() {
			return a.headers[i].Name()
		}
	}
	return ""
}

// provisionAssertionAudience sets the audience of the route's assertions.
// Every route that forwards an assertion must name one: an assertion
// without aud, made for app A, would be accepted by app B if B trusts the
// same gateway key. The audience is configuration, never the request's
// Host, which the client chooses.
func (h *Handler) provisionAssertionAudience(a *App) error {
	h.assertAud = strings.TrimSpace(caddy.NewReplacer().ReplaceKnown(h.AssertionAudience, ""))
	if strings.ContainsFunc(h.assertAud, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("assertion_audience %q contains control characters", h.AssertionAudience)
	}
	name := a.assertionHeader()
	if name == "" || h.assertAud != "" {
		return nil
	}
	return fmt.Errorf("assertion_audience is required on every authgate route when a signed assertion is "+
		"forwarded (header %s assertion): name the app behind this route, as it checks the assertion's aud, "+
		"e.g. `assertion_audience https://app.example.com`; it is never taken from the Host header", name)
}
