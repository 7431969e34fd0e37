// Package redirect decides which redirect targets the gateway may send a
// browser to: same-origin paths, or absolute URLs on an allowed origin,
// whatever spelling a browser would read as another origin refused. It is
// a leaf: it imports nothing of the module, and no Caddy or zap.
package redirect
