package hublink

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hongmajia/hongmajia/internal/atomicfile"
)

// KeyFile is the kiosk's private key in its data directory: the 32-byte
// ed25519 seed, readable by the kiosk's user only. It is the kiosk's
// identity at the hub; a copy of it can sync as the kiosk.
const KeyFile = "kiosk.key"

// ErrNoKey: the data directory holds no kiosk key (the kiosk was never
// enrolled here).
var ErrNoKey = errors.New("no kiosk key")

// LoadKey reads the kiosk's key from dir. A key that others may read is
// refused: it would let any local user sync as the kiosk.
func LoadKey(dir string) (ed25519.PrivateKey, error) {
	path := filepath.Join(dir, KeyFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("kiosk key %s: %w", path, ErrNoKey)
	}
	if err != nil {
		return nil, fmt.Errorf("kiosk key: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("kiosk key: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("kiosk key %s: mode %04o lets others read it; chmod 600 it", path, st.Mode().Perm())
	}
	seed, err := io.ReadAll(io.LimitReader(f, ed25519.SeedSize+1))
	if err != nil {
		return nil, fmt.Errorf("kiosk key: %w", err)
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("kiosk key %s: %d bytes, want %d: not a kiosk key", path, len(seed), ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// MakeKey returns the kiosk's key in dir, making it (0600, written
// atomically) when there is none. An existing key is kept: enrolling again
// at a hub that moved keeps the kiosk's identity.
func MakeKey(dir string) (ed25519.PrivateKey, error) {
	k, err := LoadKey(dir)
	if !errors.Is(err, ErrNoKey) {
		return k, err
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, fmt.Errorf("kiosk key: %w", err)
	}
	err = atomicfile.Write(filepath.Join(dir, KeyFile), 0o600, func(w io.Writer) error {
		_, err := w.Write(seed)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("kiosk key: %w", err)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}
