package caddymodule

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"

	"github.com/caddyserver/certmagic"
)

// loadOrCreate reads a secret from Caddy's storage at path, creating it
// with gen under a storage lock when missing, so that instances sharing
// storage agree on one value. gen returns the value and its stored form;
// parse reads the stored form back.
func loadOrCreate[T any](ctx context.Context, st certmagic.Storage, path string, gen func() (T, []byte, error), parse func([]byte) (T, error)) (T, error) {
	var zero T
	load := func() (T, error) {
		data, err := st.Load(ctx, path)
		if err != nil {
			return zero, err
		}
		return parse(data)
	}
	if v, err := load(); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return v, err
	}
	if err := st.Lock(ctx, path); err != nil {
		return zero, fmt.Errorf("locking %s: %w", path, err)
	}
	defer func() { _ = st.Unlock(ctx, path) }()
	if v, err := load(); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return v, err
	}
	v, stored, err := gen()
	if err != nil {
		return zero, err
	}
	if err := st.Store(ctx, path, stored); err != nil {
		return zero, fmt.Errorf("storing %s: %w", path, err)
	}
	return v, nil
}

// loadOrCreateKey reads a PKCS#8 private key from Caddy's storage at path,
// creating it with gen when missing (see loadOrCreate).
func loadOrCreateKey(ctx context.Context, st certmagic.Storage, path string, gen func() (crypto.Signer, error)) (crypto.Signer, error) {
	return loadOrCreate(ctx, st, path, func() (crypto.Signer, []byte, error) {
		key, err := gen()
		if err != nil {
			return nil, nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, nil, err
		}
		return key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
	}, parsePrivateKeyPEM)
}

// parsePrivateKeyPEM reads a PKCS#8, PKCS#1 or SEC 1 private key.
func parsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
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
