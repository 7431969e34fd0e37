package caddymodule

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier/verifiertest"
)

// ecSite trusts three key-file issuers: ES256 (from the Authorization
// header or an id_token cookie), ES384, and a third that accepts
// sender-constrained tokens. Tokens of the first two can be exchanged for
// sessions in {STORE}. {ROUTE} adds handler options.
const ecSite = `{
	admin {ADMIN}
	storage file_system {STORAGE}
	authgate {
		jwt es256 {
			issuer https://es256.example/
			key_file {KEY256}
			audience app
			from header Authorization Bearer
			from cookie id_token
			subject_template es256:{sub}
		}
		jwt es384 {
			issuer https://es384.example/
			key_file {KEY384}
			audience app
			subject_template es384:{sub}
		}
		jwt bound {
			issuer https://bound.example/
			key_file {KEYBOUND}
			audience app
			subject_template bound:{sub}
			allow_bound_tokens
		}
		session {
			store {STORE}
			exchange es256 es384
		}
	}
}
http://127.0.0.1:{PORT} {
	authgate {
		{ROUTE}
	}
	reverse_proxy {UPSTREAM}
}
`

// ecIssuer is one issuer of ecSite: its key and iss.
type ecIssuer struct {
	alg string
	iss string
	key *ecdsa.PrivateKey
}

// mint signs claims (iss, aud, iat and exp filled in unless given).
func (e ecIssuer) mint(claims map[string]any) string {
	now := time.Now()
	c := map[string]any{"iss": e.iss, "aud": "app", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range claims {
		c[k] = v
	}
	return verifiertest.Sign(e.alg, e.key, map[string]any{"alg": e.alg, "typ": "JWT"}, c)
}

type ecFixture struct {
	g                 *gateway
	admin             string // the admin API's base URL, if on
	es256, es384, bnd ecIssuer
}

// startECGateway starts ecSite with a bolt store and no admin API.
func startECGateway(t *testing.T, route string) *ecFixture {
	t.Helper()
	return startECGatewayOn(t, route, "bolt {STORAGE}/sessions.db", false)
}

// startECGatewayOn starts ecSite on the given session store, with the
// admin API on a loopback port when admin is set.
func startECGatewayOn(t *testing.T, route, store string, admin bool) *ecFixture {
	t.Helper()
	dir := t.TempDir()
	f := &ecFixture{
		es256: ecIssuer{alg: "ES256", iss: "https://es256.example/", key: newECDSA(t, elliptic.P256())},
		es384: ecIssuer{alg: "ES384", iss: "https://es384.example/", key: newECDSA(t, elliptic.P384())},
		bnd:   ecIssuer{alg: "ES256", iss: "https://bound.example/", key: newECDSA(t, elliptic.P256())},
	}
	up := echoUpstream(t)
	adminAddr := "off"
	if admin {
		adminAddr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
		f.admin = "http://" + adminAddr
	}
	cf := strings.NewReplacer("{STORE}", store, "{ADMIN}", adminAddr,
		"{KEY256}", writePublicPEM(t, dir, "es256.pem", f.es256.key),
		"{KEY384}", writePublicPEM(t, dir, "es384.pem", f.es384.key),
		"{KEYBOUND}", writePublicPEM(t, dir, "bound.pem", f.bnd.key),
		"{UPSTREAM}", up.URL, "{ROUTE}", route,
	).Replace(ecSite)
	f.g = startGateway(t, cf)
	return f
}

func newECDSA(t *testing.T, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writePublicPEM(t *testing.T, dir, name string, k *ecdsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// malleate rewrites a JWS ECDSA signature (r, s) as (r, n−s): a second,
// equally valid signature of the same header and payload, made without
// the private key.
func malleate(t *testing.T, tok string, curve elliptic.Curve) string {
	t.Helper()
	i := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	size := len(sig) / 2
	s := new(big.Int).SetBytes(sig[size:])
	s.Sub(curve.Params().N, s)
	out := append(append([]byte(nil), sig[:size]...), s.FillBytes(make([]byte, size))...)
	twin := tok[:i+1] + base64.RawURLEncoding.EncodeToString(out)
	if twin == tok {
		t.Fatal("malleated signature equals the original")
	}
	return twin
}
