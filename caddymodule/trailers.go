package caddymodule

import (
	"io"
	"net/http"
	"strings"

	"github.com/authgate/authgate/verifier"
)

// reasonProtectedTrailer refuses a request that announces an identity or
// credential header as a trailer.
const reasonProtectedTrailer = "protected_trailer"

// Request trailers are a second header section, sent after the body, that
// reverse_proxy forwards to the upstream (Node merges them into
// req.trailers, other stacks into the headers). Stripping the header section
// before the body is read does not reach them: Go's HTTP/1 server merges
// every received trailer, declared or not, into r.Trailer only when the body
// reaches io.EOF, into the very map the proxy copies at that moment. So a
// protected name is refused when it is announced, and deleted from r.Trailer
// again after the body's last read.

// protectedTrailer reports whether name must never reach the upstream as a
// trailer, in any spelling a framework folds into the same name: identity
// and mapped headers, the route's credential headers, and Cookie.
func (h *Handler) protectedTrailer(name string) bool {
	if h.headers.isIdentity(name) || foldEqual(name, "cookie") {
		return true
	}
	for _, sr := range h.routes {
		if sr.source.Kind == verifier.SourceHeader && foldEqual(name, sr.source.Name) {
			return true
		}
	}
	return false
}

// announcesProtectedTrailer reports whether r declares a protected trailer.
// Go's server moves the Trailer header of a chunked HTTP/1 request and of
// an HTTP/2 request into the keys of r.Trailer; a Trailer header left in
// r.Header (no chunked body) is checked too.
func (h *Handler) announcesProtectedTrailer(r *http.Request) bool {
	for name := range r.Trailer {
		if h.protectedTrailer(name) {
			return true
		}
	}
	for _, v := range r.Header["Trailer"] {
		for _, name := range strings.Split(v, ",") {
			if h.protectedTrailer(strings.TrimSpace(name)) {
				return true
			}
		}
	}
	return false
}

// guardTrailers makes sure no protected trailer reaches the upstream: it
// wraps the body so that protected names are deleted from r.Trailer once
// the body has been read to its end.
func (h *Handler) guardTrailers(r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody {
		return
	}
	r.Body = &trailerScrubber{ReadCloser: r.Body, req: r, h: h}
}

// scrubTrailers deletes every protected name from t.
func (h *Handler) scrubTrailers(t http.Header) {
	for name := range t {
		if h.protectedTrailer(name) {
			delete(t, name)
		}
	}
}

// trailerScrubber deletes protected names from req.Trailer after the inner
// body returns io.EOF, which is when the server has merged the received
// trailers, and before the caller (the proxy) sees the EOF and copies them.
type trailerScrubber struct {
	io.ReadCloser
	req *http.Request
	h   *Handler
}

func (b *trailerScrubber) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.h.scrubTrailers(b.req.Trailer)
	}
	return n, err
}

// foldEqual reports whether name and want fold to the same name (see
// foldByte).
func foldEqual(name, want string) bool {
	return len(name) == len(want) && foldHasPrefix(name, foldHeaderName(want))
}

// refuseTrailer answers a request that announced a protected trailer.
func (h *Handler) refuseTrailer(w http.ResponseWriter, r *http.Request) error {
	h.logDenied(r, http.StatusBadRequest, reasonProtectedTrailer)
	return writeJSON(w, r, http.StatusBadRequest, reasonProtectedTrailer,
		`{"error":"bad_request","reason":"`+reasonProtectedTrailer+`"}`)
}
