package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func TestReadyOption(t *testing.T) {
	var a App
	if err := a.UnmarshalCaddyfile(caddyfile.NewTestDispenser("authgate {\n ready jwks store oidc\n}")); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Ready, []string{"jwks", "store", "oidc"}) || a.Validate() != nil {
		t.Fatalf("ready = %q", a.Ready)
	}
	for input, want := range map[string]string{
		"authgate {\n ready\n}":                    "wrong argument count",
		"authgate {\n ready redis\n}":              `unknown readiness check "redis": want jwks, store, oidc`,
		"authgate {\n ready jwks\n ready store\n}": "ready given twice",
	} {
		err := new(App).UnmarshalCaddyfile(caddyfile.NewTestDispenser(input))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", input, err, want)
		}
	}
	if err := (&App{Ready: []string{"db"}}).Validate(); err == nil {
		t.Error("JSON ready [db] validated")
	}
}
