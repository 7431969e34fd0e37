package verifier_test

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/verifiertest"
)

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func mustDER(der []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return der
}

func TestParsePublicKeysPEM(t *testing.T) {
	rsaKey := verifiertest.NewRSAKey("r").Private.(*rsa.PrivateKey)
	ecKey := verifiertest.NewECKey("e").Private.(*ecdsa.PrivateKey)
	edKey := verifiertest.NewEdKey("d").Private.(ed25519.PrivateKey)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	x, _ := ecdh.X25519().GenerateKey(rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "idp"}, NotAfter: time.Now().Add(time.Hour)}
	cert := mustDER(x509.CreateCertificate(rand.Reader, tmpl, tmpl, ecKey.Public(), ecKey))
	ecParams := pemBlock("EC PARAMETERS", []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07})

	tests := []struct {
		name     string
		data     []byte
		wantKeys []crypto.PublicKey
		wantErr  bool
	}{
		{name: "a PKIX RSA public key is read", data: pemBlock("PUBLIC KEY", mustDER(x509.MarshalPKIXPublicKey(&rsaKey.PublicKey))), wantKeys: []crypto.PublicKey{&rsaKey.PublicKey}},
		{name: "a PKCS #1 RSA public key is read", data: pemBlock("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)), wantKeys: []crypto.PublicKey{&rsaKey.PublicKey}},
		{name: "a PKIX EC public key is read", data: pemBlock("PUBLIC KEY", mustDER(x509.MarshalPKIXPublicKey(&ecKey.PublicKey))), wantKeys: []crypto.PublicKey{&ecKey.PublicKey}},
		{name: "a PKIX Ed25519 public key is read", data: pemBlock("PUBLIC KEY", mustDER(x509.MarshalPKIXPublicKey(edKey.Public()))), wantKeys: []crypto.PublicKey{edKey.Public()}},
		{name: "a certificate gives its public key", data: pemBlock("CERTIFICATE", cert), wantKeys: []crypto.PublicKey{&ecKey.PublicKey}},
		{name: "a PKCS #8 private key gives its public half", data: pemBlock("PRIVATE KEY", mustDER(x509.MarshalPKCS8PrivateKey(edKey))), wantKeys: []crypto.PublicKey{edKey.Public()}},
		{name: "a PKCS #1 private key gives its public half", data: pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)), wantKeys: []crypto.PublicKey{&rsaKey.PublicKey}},
		{name: "an EC private key after EC PARAMETERS gives its public half", data: append(ecParams, pemBlock("EC PRIVATE KEY", mustDER(x509.MarshalECPrivateKey(ecKey)))...), wantKeys: []crypto.PublicKey{&ecKey.PublicKey}},
		{name: "several blocks give several keys", data: append(pemBlock("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)), pemBlock("CERTIFICATE", cert)...), wantKeys: []crypto.PublicKey{&rsaKey.PublicKey, &ecKey.PublicKey}},
		{name: "a 1024-bit RSA key is refused", data: pemBlock("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&small.PublicKey)), wantErr: true},
		{name: "an X25519 key is refused", data: pemBlock("PUBLIC KEY", mustDER(x509.MarshalPKIXPublicKey(x.PublicKey()))), wantErr: true},
		{name: "an unknown block type is refused", data: pemBlock("OPENSSH PRIVATE KEY", []byte("x")), wantErr: true},
		{name: "a corrupt block is refused", data: pemBlock("PUBLIC KEY", []byte("not DER")), wantErr: true},
		{name: "data without PEM is refused", data: []byte("hello"), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := verifier.ParsePublicKeysPEM(tc.data)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("got %d keys, want an error", len(keys))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(keys, tc.wantKeys, func(a, b crypto.PublicKey) bool {
				return a.(interface{ Equal(crypto.PublicKey) bool }).Equal(b)
			}) {
				t.Fatalf("got keys %v, want %v", keys, tc.wantKeys)
			}
		})
	}
}

func TestDefaultAlgorithmsFollowKeyTypes(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaKey := verifiertest.NewRSAKey("r").Public()
	edKey := verifiertest.NewEdKey("d").Public()
	tests := []struct {
		name string
		keys []crypto.PublicKey
		want []string
	}{
		{name: "an RSA key allows RS* and PS*", keys: []crypto.PublicKey{rsaKey}, want: []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}},
		{name: "a P-384 key allows ES384 only", keys: []crypto.PublicKey{&p384.PublicKey}, want: []string{"ES384"}},
		{name: "Ed25519 and P-384 keys allow ES384 and EdDSA", keys: []crypto.PublicKey{edKey, &p384.PublicKey}, want: []string{"ES384", "EdDSA"}},
		{name: "no keys allow nothing", keys: nil, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := verifier.DefaultAlgorithms(tc.keys); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestStaticKeySourceTriesEveryKeyOfTheAlgorithm(t *testing.T) {
	first, second := verifiertest.NewECKey("a"), verifiertest.NewECKey("b")
	keys := []crypto.PublicKey{first.Public(), second.Private} // a private key is reduced to its public half
	v := newJWT(t, verifier.JWTConfig{Name: "files", Issuer: corpIss, Audiences: []string{"app"},
		Algorithms: verifier.DefaultAlgorithms(keys), Keys: verifier.NewStaticKeySource(keys)})
	for _, k := range []*verifiertest.Key{first, second} {
		if err := verifyWith(t, v, k.MintHeader(map[string]any{"kid": "ignored"}, std(corpIss))); err != nil {
			t.Errorf("key %s: %v", k.KID, err)
		}
	}
	wantReason(t, verifyWith(t, v, verifiertest.NewECKey("c").Mint(std(corpIss))), verifier.ReasonBadSignature)
}
