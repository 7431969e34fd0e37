package forward

import (
	"io"
	"net/http"
	"strings"

	"github.com/authgate/authgate/internal/headername"
)

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
func (hp HeaderPolicy) protectedTrailer(name string) bool {
	if hp.IsIdentity(name) || headername.Equal(name, "cookie") {
		return true
	}
	for credential := range hp.spared {
		if headername.Equal(name, credential) {
			return true
		}
	}
	return false
}

// AnnouncesProtectedTrailer reports whether r declares a protected trailer.
// Go's server moves the Trailer header of a chunked HTTP/1 request and of
// an HTTP/2 request into the keys of r.Trailer; a Trailer header left in
// r.Header (no chunked body) is checked too.
func (hp HeaderPolicy) AnnouncesProtectedTrailer(r *http.Request) bool {
	for name := range r.Trailer {
		if hp.protectedTrailer(name) {
			return true
		}
	}
	for _, v := range r.Header["Trailer"] {
		for _, name := range strings.Split(v, ",") {
			if hp.protectedTrailer(strings.TrimSpace(name)) {
				return true
			}
		}
	}
	return false
}

// GuardTrailers makes sure no protected trailer reaches the upstream: it
// wraps the body so that protected names are deleted from r.Trailer once
// the body has been read to its end.
func (hp HeaderPolicy) GuardTrailers(r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody {
		return
	}
	r.Body = &trailerScrubber{ReadCloser: r.Body, req: r, hp: hp}
}

// scrubTrailers deletes every protected name from t.
func (hp HeaderPolicy) scrubTrailers(t http.Header) {
	for name := range t {
		if hp.protectedTrailer(name) {
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
	hp  HeaderPolicy
}

func (b *trailerScrubber) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.hp.scrubTrailers(b.req.Trailer)
	}
	return n, err
}
