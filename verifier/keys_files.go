package verifier

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// ParsePrivateKeyPEM reads a PKCS#8, PKCS#1 or SEC 1 private key: the
// gateway's own signing keys (assertions, the development issuer).
func ParsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("key is not PEM")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("parsing private key: %w", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported private key type %T", key)
	}
	return signer, nil
}

// MarshalPrivateKeyPEM is the PKCS#8 "PRIVATE KEY" PEM form of key, which
// ParsePrivateKeyPEM reads back.
func MarshalPrivateKeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// NewSecretKeySource returns the key source of a shared HMAC secret and its
// default algorithms: the HMAC algorithms the secret is long enough for, so
// a 32-byte secret serves HS256 without an algorithm list. A secret under
// 32 bytes fits no algorithm and is refused, with its length, rather than
// given an empty allow-list.
func NewSecretKeySource(secret []byte) (*StaticKeySource, []string, error) {
	algs := HMACAlgorithms(secret)
	if len(algs) == 0 {
		return nil, nil, fmt.Errorf("the secret has %d bytes; HMAC needs at least 32", len(secret))
	}
	return NewHMACKeySource(secret), algs, nil
}
