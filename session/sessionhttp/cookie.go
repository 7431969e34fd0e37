package sessionhttp

import (
	"net/http"
	"time"
)

// Cookie is the edge-session cookie. Name is required; Secure is off only
// when the gateway is configured with insecure_cookie.
type Cookie struct {
	// Name is the cookie's name, such as __Host-authgate_session.
	Name string
	// Secure sets the Secure attribute, so browsers send the cookie over
	// HTTPS only.
	Secure bool
}

// Set sends token as the session cookie: HttpOnly, SameSite=Lax, Path=/,
// Secure unless c.Secure is off, living until expires (the session's
// absolute end).
func (c Cookie) Set(w http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: c.Name, Value: token, Path: "/",
		Expires: expires, MaxAge: max(int(time.Until(expires).Seconds()), 1),
		HttpOnly: true, Secure: c.Secure, SameSite: http.SameSiteLaxMode,
	})
}

// Clear tells the browser to drop the session cookie.
func (c Cookie) Clear(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: c.Name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: c.Secure, SameSite: http.SameSiteLaxMode,
	})
}

// Token returns the value of the first session cookie r carries, or "".
func (c Cookie) Token(r *http.Request) string {
	ck, err := r.Cookie(c.Name)
	if err != nil {
		return ""
	}
	return ck.Value
}
