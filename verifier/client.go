package verifier

import "context"

type clientKey struct{}

// WithClient returns ctx naming the client a credential came from (a key
// such as clientlimit.Key of its IP). Verifiers that spend a shared budget
// per credential, like introspection calls, charge it to that client.
func WithClient(ctx context.Context, client string) context.Context {
	if client == "" {
		return ctx
	}
	return context.WithValue(ctx, clientKey{}, client)
}

// ClientOf returns the client ctx names, or "" when none.
func ClientOf(ctx context.Context) string {
	c, _ := ctx.Value(clientKey{}).(string)
	return c
}
