package pools

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io/fs"

	"github.com/caddyserver/certmagic"

	"github.com/authgate/authgate/verifier"
)

// LoadOrCreate reads a secret from Caddy's storage at path, creating it
// with gen under a storage lock when missing, so that instances sharing
// storage agree on one value. gen returns the value and its stored form;
// parse reads the stored form back.
func LoadOrCreate[T any](ctx context.Context, st certmagic.Storage, path string, gen func() (T, []byte, error), parse func([]byte) (T, error)) (T, error) {
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

// LoadOrCreateKey reads a PKCS#8 private key from Caddy's storage at path,
// creating it with gen when missing (see LoadOrCreate).
func LoadOrCreateKey(ctx context.Context, st certmagic.Storage, path string, gen func() (crypto.Signer, error)) (crypto.Signer, error) {
	return LoadOrCreate(ctx, st, path, func() (crypto.Signer, []byte, error) {
		key, err := gen()
		if err != nil {
			return nil, nil, err
		}
		stored, err := verifier.MarshalPrivateKeyPEM(key)
		return key, stored, err
	}, verifier.ParsePrivateKeyPEM)
}
