package build

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/certmagic"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/caddymodule/pools"
	"github.com/authgate/authgate/oidclogin"
)

// Login expands and checks oc into a provider's configuration.
func Login(oc *config.OIDCConfig, repl *caddy.Replacer) (oidclogin.Config, error) {
	callbacks, err := parseCallbackURLs(oc, repl)
	if err != nil {
		return oidclogin.Config{}, err
	}
	cfg := oidclogin.Config{
		Name:            oc.Name,
		Issuer:          repl.ReplaceKnown(oc.Issuer, ""), // as the provider spells it: go-oidc compares exactly
		ClientID:        oc.ClientID,
		ClientSecret:    repl.ReplaceKnown(oc.ClientSecret, ""),
		Scopes:          oc.Scopes,
		CallbackURLs:    callbacks,
		Claims:          oc.Claims,
		Userinfo:        oc.Userinfo,
		SubjectTemplate: oc.SubjectTemplate,
		LoginTimeout:    time.Duration(oc.LoginTimeout),
		Timeout:         time.Duration(oc.Timeout),
		LoginLimit:      limitOf(oc.LoginLimit),
		FailureLimit:    limitOf(oc.FailureLimit),
	}
	if oc.ClientSecret != "" && cfg.ClientSecret == "" {
		return oidclogin.Config{}, fmt.Errorf("oidc %s: client_secret is empty once expanded (missing file or variable?)", oc.Name)
	}
	return cfg, nil
}

// parseCallbackURLs checks an oidc block's callback_url entries and
// returns them by lowercased host. Each is an absolute http(s) URL with a
// path and without userinfo, query or fragment; a host appears once.
func parseCallbackURLs(oc *config.OIDCConfig, repl *caddy.Replacer) (map[string]*url.URL, error) {
	if len(oc.CallbackURLs) == 0 {
		return nil, fmt.Errorf("oidc %s: callback_url is required: the absolute redirect URI registered at the provider, such as https://app.example.com/.authgate/callback (one per site host)", oc.Name)
	}
	out := make(map[string]*url.URL, len(oc.CallbackURLs))
	for _, raw := range oc.CallbackURLs {
		u, err := url.Parse(repl.ReplaceKnown(raw, ""))
		if err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || u.User != nil ||
			u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || !strings.HasPrefix(u.Path, "/") {
			return nil, fmt.Errorf("oidc %s: callback_url %q must be an absolute http(s) URL with a path and no userinfo, query or fragment", oc.Name, raw)
		}
		host := strings.ToLower(u.Host)
		if _, dup := out[host]; dup {
			return nil, fmt.Errorf("oidc %s: two callback_url entries for host %s", oc.Name, host)
		}
		out[host] = u
	}
	return out, nil
}

// loginStateKeyPath is where the login-state key lives in Caddy's storage;
// instances sharing storage accept each other's callbacks.
const loginStateKeyPath = "authgate/oidc-login-state.key"

// LoginCodec reads the login-state key from Caddy's storage, creating it
// on first use.
func LoginCodec(ctx context.Context, st certmagic.Storage) (*oidclogin.Codec, error) {
	key, err := pools.LoadOrCreate(ctx, st, loginStateKeyPath, func() ([]byte, []byte, error) {
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		return k, []byte(base64.StdEncoding.EncodeToString(k)), nil
	}, func(b []byte) ([]byte, error) {
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(k) != 32 {
			return nil, fmt.Errorf("login-state key in storage is not 32 bytes of base64")
		}
		return k, nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading login-state key: %w", err)
	}
	return oidclogin.NewCodec(key)
}
