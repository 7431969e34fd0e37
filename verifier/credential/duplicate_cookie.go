package credential

// DuplicateCookieError reports the route's credential cookie sent more than
// once, for a name without the __Host- prefix. Such duplicates have innocent
// causes (a cookie set with two Paths, or by a sibling subdomain for the
// parent domain), and which copy an app reads is up to its parser, so
// none is accepted. Extract returns it wrapped in a malformed rejection.
type DuplicateCookieError struct {
	Name string // the cookie name, from configuration
}

func (e *DuplicateCookieError) Error() string {
	return "cookie " + e.Name + " sent more than once"
}
