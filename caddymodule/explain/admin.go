package explain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/authgate/authgate/explain"
	"github.com/authgate/authgate/internal/httpx"
	"github.com/authgate/authgate/session/sessionhttp"
)

// timeout bounds one explanation, fetches included.
const timeout = 15 * time.Second

// maxRequestBytes caps the body of POST /authgate/explain.
const maxRequestBytes = 1 << 20

// Admin serves POST /authgate/explain on Caddy's admin endpoint: the body
// is a Request, the answer a Trace, computed against the running
// configuration (its keys, caches and stores). Like the other authgate
// admin calls it refuses an Origin header and needs application/json.
func Admin(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodPost {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: errors.New("use POST")}
	}
	if err := sessionhttp.CheckAdminRequest(r); err != nil {
		var refused *sessionhttp.APIError
		if errors.As(err, &refused) {
			return caddy.APIError{HTTPStatus: refused.Status, Err: refused.Err}
		}
		return err
	}
	body, err := httpx.ReadCapped(r.Body, maxRequestBytes)
	var d explain.Request
	if err == nil {
		err = json.Unmarshal(body, &d)
	}
	if err != nil {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: fmt.Errorf("reading the request description: %w", err)}
	}
	appIface, err := caddy.ActiveContext().AppIfConfigured("http")
	app, ok := appIface.(*caddyhttp.App)
	if err != nil || !ok {
		return caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: errors.New("the running configuration has no HTTP app")}
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	t, err := Explain(ctx, app, d, explain.ModeLive)
	if err != nil {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: err}
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(t)
}
