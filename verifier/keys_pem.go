package verifier

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// ParsePublicKeysPEM reads every key in PEM data: "PUBLIC KEY" (PKIX),
// "RSA PUBLIC KEY" (PKCS #1) and "CERTIFICATE" blocks give public keys;
// "PRIVATE KEY", "RSA PRIVATE KEY" and "EC PRIVATE KEY" blocks give the
// public half of the private key (so a key file shared with a signer works,
// and private material is not kept). "EC PARAMETERS" blocks are skipped.
// Supported keys are RSA (2048 bits or more), EC on P-256, P-384 and P-521,
// and Ed25519; any other key, an unknown block type or data without a key is
// an error.
func ParsePublicKeysPEM(data []byte) ([]crypto.PublicKey, error) {
	var keys []crypto.PublicKey
	for n := 1; ; n++ {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type == "EC PARAMETERS" {
			continue
		}
		key, err := parsePEMBlock(block)
		if err != nil {
			return nil, fmt.Errorf("parsing PEM block %d (%s): %w", n, block.Type, err)
		}
		if !supportedPublicKey(key) {
			return nil, fmt.Errorf("parsing PEM block %d (%s): unsupported key %T (want RSA >= %d bits, EC P-256/P-384/P-521 or Ed25519)", n, block.Type, key, minRSABits)
		}
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		return nil, errors.New("parsing PEM: no keys found")
	}
	return keys, nil
}

// parsePEMBlock decodes one block into a public key.
func parsePEMBlock(b *pem.Block) (crypto.PublicKey, error) {
	switch b.Type {
	case "PUBLIC KEY":
		return x509.ParsePKIXPublicKey(b.Bytes)
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(b.Bytes)
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		return cert.PublicKey, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		return publicOf(k), err
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
		if err != nil {
			return nil, err
		}
		return k.Public(), nil
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(b.Bytes)
		if err != nil {
			return nil, err
		}
		return k.Public(), nil
	}
	return nil, errors.New("unsupported PEM block type")
}
