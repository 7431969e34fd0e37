package caddymodule

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authgate/authgate/verifier/verifiertest"
)

// secretSite trusts tokens signed with the HMAC secret in {SECRET}, with no
// algorithms line: the default must follow the secret's length.
const secretSite = `{
	admin off
	storage file_system {STORAGE}
	authgate {
		jwt shared {
			issuer https://shared.example/
			audience app
			secret_file {SECRET}
		}
	}
}
http://127.0.0.1:{PORT} {
	authgate
	reverse_proxy {UPSTREAM}
}
`

func writeSecret(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hs.key")
	if err := os.WriteFile(path, bytes.Repeat([]byte("k"), n), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSecretFileDefaultsToTheHMACAlgorithmsItsLengthAllows(t *testing.T) {
	for _, tc := range []struct {
		name    string
		bytes   int
		allowed []string
		refused []string
	}{
		{"a 32-byte secret serves HS256 only", 32, []string{"HS256"}, []string{"HS384", "HS512"}},
		{"a 48-byte secret adds HS384", 48, []string{"HS256", "HS384"}, []string{"HS512"}},
		{"a 64-byte secret serves all three", 64, []string{"HS256", "HS384", "HS512"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			secret := writeSecret(t, tc.bytes)
			up := echoUpstream(t)
			g := startGateway(t, strings.NewReplacer("{SECRET}", secret, "{UPSTREAM}", up.URL).Replace(secretSite))
			key := bytes.Repeat([]byte("k"), tc.bytes)
			mint := func(alg string) string {
				return verifiertest.Sign(alg, key, map[string]any{"alg": alg, "typ": "JWT"}, validClaims("https://shared.example/"))
			}
			for _, alg := range tc.allowed {
				wantStatus(t, g.do("GET", "/", "Authorization: Bearer "+mint(alg)), http.StatusOK)
			}
			for _, alg := range tc.refused {
				wantReason(t, g.do("GET", "/", "Authorization: Bearer "+mint(alg)), http.StatusUnauthorized, "alg_not_allowed")
			}
		})
	}
}

func TestSecretFileShorterThan32BytesIsAConfigError(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	site := strings.NewReplacer("{SECRET}", writeSecret(t, 31), "{UPSTREAM}", "http://127.0.0.1:9",
		"{STORAGE}", t.TempDir(), "{PORT}", "0").Replace(secretSite)
	wantLoadError(t, adaptCaddyfile(t, site), "the secret has 31 bytes; HMAC needs at least 32")
}
