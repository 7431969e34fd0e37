package checkhttp

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// FuzzServe sends arbitrary queries and bodies to the endpoint: every
// request gets an answer with a known status and either a well-formed
// answer or a fixed refusal naming a known reason, never a panic, and a
// refusal never repeats what was sent.
func FuzzServe(f *testing.F) {
	f.Add("GET", "permission=blog:read&check=admin_area", "", "")
	f.Add("GET", "check=%zz&permission=", "", "")
	f.Add("POST", "", "application/json", `[{"permission":"blog:read"},{"check":"admin_area"}]`)
	f.Add("POST", "", "application/json", `[{"check":"x","permission":"y"}] []`)
	f.Add("POST", "", "application/json; charset=utf-8", `[{"permission":"\u0000"}]`)
	f.Add("POST", "", "text/plain", `[]`)
	f.Add("PUT", "check=admin_area", "", "")
	reasons := []string{ReasonBadRequest, ReasonUnknownCheck, ReasonBadPermission, ReasonBatchTooLarge,
		ReasonBodyTooLarge, ReasonUnsupportedMedia, ReasonMethodNotAllowed, "rate_limited"}
	e := newEndpoint(f, 1<<20, nil)
	f.Fuzz(func(t *testing.T, method, query, contentType, body string) {
		if method != "GET" && method != "POST" {
			method = "DELETE"
		}
		r := httptest.NewRequest(method, "/.authgate/check", strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		if err := e.Serve(w, r, viewer()); err != nil {
			t.Fatalf("Serve: %v", err)
		}
		var got struct {
			Allowed *bool
			Results []json.RawMessage
			Reason  string
		}
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("status %d, body is not JSON: %q", w.Code, w.Body)
		}
		switch w.Code {
		case http.StatusOK:
			if got.Allowed == nil && got.Results == nil {
				t.Fatalf("200 without an answer: %s", w.Body)
			}
		default:
			if !slices.Contains(reasons, got.Reason) {
				t.Fatalf("status %d with reason %q", w.Code, got.Reason)
			}
			if want := `{"error":`; !strings.HasPrefix(w.Body.String(), want) || strings.Count(w.Body.String(), `"`) != 8 {
				t.Fatalf("refusal is not a fixed text: %s", w.Body)
			}
		}
		if w.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("status %d without Cache-Control: no-store", w.Code)
		}
	})
}
