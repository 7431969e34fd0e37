package verifier

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"strings"
	"testing"
)

func TestPrivateKeyPEMRoundTrip(t *testing.T) {
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, key := range []crypto.Signer{ed, ec} {
		data, err := MarshalPrivateKeyPEM(key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParsePrivateKeyPEM(data)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(key.Public()) {
			t.Fatalf("%T: parsed a different key", key)
		}
	}
}

func TestParsePrivateKeyPEMForms(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	sec1, _ := x509.MarshalECPrivateKey(ec)
	pub, _ := x509.MarshalPKIXPublicKey(ec.Public())
	for _, tc := range []struct {
		name string
		data []byte
		want string // "" = parsed
	}{
		{"PKCS#1", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}), ""},
		{"SEC 1", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), ""},
		{"not PEM", []byte("-----"), "key is not PEM"},
		{"public key", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), "parsing private key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePrivateKeyPEM(tc.data)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestNewSecretKeySource(t *testing.T) {
	if _, _, err := NewSecretKeySource(make([]byte, 31)); err == nil || err.Error() != "the secret has 31 bytes; HMAC needs at least 32" {
		t.Fatalf("31-byte secret: %v", err)
	}
	for n, want := range map[int][]string{32: {"HS256"}, 48: {"HS256", "HS384"}, 64: {"HS256", "HS384", "HS512"}} {
		ks, algs, err := NewSecretKeySource(make([]byte, n))
		if err != nil || ks == nil || !slices.Equal(algs, want) {
			t.Fatalf("%d bytes: %v %v, want %v", n, algs, err, want)
		}
	}
}
