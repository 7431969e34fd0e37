package verifier

// SourceKind says where in a request a credential is carried.
type SourceKind uint8

// The places a credential may come from. Query strings are deliberately not
// among them: URLs end up in access logs.
const (
	SourceHeader SourceKind = iota + 1
	SourceCookie
)

// Source names one place a credential is read from, such as the
// Authorization header with the Bearer scheme, or the cookie "id_token".
type Source struct {
	Kind SourceKind
	// Name is the header or cookie name.
	Name string
	// Scheme is the authentication scheme expected before the token in a
	// header ("Bearer"); empty means the whole header value is the token.
	Scheme string
}

// String renders the source the way the Caddyfile writes it.
func (s Source) String() string {
	switch s.Kind {
	case SourceHeader:
		if s.Scheme != "" {
			return "header " + s.Name + " " + s.Scheme
		}
		return "header " + s.Name
	case SourceCookie:
		return "cookie " + s.Name
	}
	return "unknown"
}

// Credential is a raw credential taken from a request. Its Value is secret:
// it must never be logged or echoed in a response.
type Credential struct {
	Source Source
	Value  string
}
