package config

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// parseHandler parses input as an authgate directive in a file named
// Caddyfile, so that errors carry positions as `caddy adapt` shows them.
func parseHandler(t *testing.T, input string) (*Handler, error) {
	t.Helper()
	tokens, err := caddyfile.Tokenize([]byte(input), "Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	h := new(Handler)
	return h, h.UnmarshalCaddyfile(caddyfile.NewDispenser(tokens))
}

func TestOnFailurePassIsParsedWithTheRoute(t *testing.T) {
	h, err := parseHandler(t, "authgate {\n require mfa is_true\n on_failure mfa redirect /mfa\n require plan exists\n on_failure plan pass\n}")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(h.OnFailure)
	if want := `[{"id":"mfa","redirect":"/mfa"},{"id":"plan","pass":true}]`; string(got) != want {
		t.Errorf("on_failure = %s, want %s", got, want)
	}
	if h.Route != "Caddyfile:5" {
		t.Errorf("Route = %q, want the first pass line, Caddyfile:5", h.Route)
	}
	if ids := h.PassIDs(); len(ids) != 1 || ids[0] != "plan" {
		t.Errorf("PassIDs = %q, want [plan]", ids)
	}
	if err := h.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if h, _ := parseHandler(t, "authgate {\n require mfa is_true\n on_failure mfa redirect /mfa\n}"); h.Route != "" {
		t.Errorf("Route = %q without pass mode, want none", h.Route)
	}
}

func TestOnFailureMistakesNameTheLine(t *testing.T) {
	global := json.RawMessage(`{"require":[{"claim":"email_verified","op":"is_true"},{"op":"permission","values":["blog:read"]},{"claim":"x","op":"exists","id":"named"}]}`)
	cases := []struct{ name, input, want string }{
		{"pass with an argument", "authgate {\n on_failure mfa pass now\n}", "expected: on_failure <id> redirect <path>, or on_failure <id> pass, at Caddyfile:2"},
		{"an unknown id", "authgate {\n require mfa is_true\n\n on_failure mfa_ pass\n}", `Caddyfile:4: on_failure: unknown validator id "mfa_"`},
		{"a skipped global id", "authgate {\n skip_global email_verified\n on_failure email_verified pass\n}", `Caddyfile:3: on_failure: unknown validator id "email_verified"`},
		{"an id given twice", "authgate {\n require mfa is_true\n on_failure mfa pass\n on_failure mfa redirect /x\n}", "Caddyfile:4: on_failure mfa given twice"},
		{"the claim of a validator with its own id", "authgate {\n on_failure x pass\n}", `Caddyfile:2: on_failure: unknown validator id "x"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := parseHandler(t, tc.input)
			if err == nil {
				err = h.CheckOnFailureIDs(global)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	for _, ok := range []string{"email_verified", "permission:blog:read", "named"} {
		h, err := parseHandler(t, "authgate {\n on_failure "+ok+" pass\n}")
		if err != nil || h.CheckOnFailureIDs(global) != nil {
			t.Errorf("on_failure %s pass: %v, %v; want the global validator found", ok, err, h.CheckOnFailureIDs(global))
		}
	}
}

// The JSON API refuses an on_failure with both actions, neither, or an
// unsafe target.
func TestOnFailureNeedsExactlyOneAction(t *testing.T) {
	for of, want := range map[OnFailureConfig]string{
		{ID: "mfa"}:                             `on_failure mfa: redirect "" is not a same-origin path`,
		{ID: "mfa", Redirect: "/x", Pass: true}: "on_failure mfa: give either redirect or pass",
		{ID: "mfa", Redirect: "//evil.com"}:     "is not a same-origin path or an allowed origin",
	} {
		h := Handler{OnFailure: []OnFailureConfig{of}}
		if err := h.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: Validate = %v, want %q", of, err, want)
		}
	}
	h := Handler{OnFailure: []OnFailureConfig{{ID: "mfa", Pass: true}, {ID: "mfa", Pass: true}}}
	if err := h.Validate(); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("twice: Validate = %v", err)
	}
}
