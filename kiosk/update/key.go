package update

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hongmajia/hongmajia/internal/atomicfile"
)

// DefaultTrusted is where a kiosk keeps the public keys it takes bundles
// from: one KEY.pub file each, as Keygen writes them.
const DefaultTrusted = "/etc/hongmajia/trusted-keys"

// The first word of a key file says what it holds.
const (
	privateTag = "hongmajia-release-signing-key"
	publicTag  = "hongmajia-release-key"
)

// PublicKey is a key bundles are checked against.
type PublicKey struct {
	Key  ed25519.PublicKey
	Name string // the comment in its file, e.g. who holds the private half
	File string // where it was read from
}

// KeyID names a public key: the first 8 bytes of its SHA-256, in hex. A
// manifest names the key that signed it by its id.
func KeyID(k ed25519.PublicKey) string {
	s := sha256.Sum256(k)
	return hex.EncodeToString(s[:8])
}

// Keygen makes a signing key: the private half at path (0600; an existing
// file is never replaced) and the public half at path+".pub" (0644), the
// line a kiosk's trusted-keys directory takes. name is a comment in the
// public file (who signs with it).
func Keygen(path, name string) (ed25519.PublicKey, error) {
	if strings.ContainsAny(name, "\r\n") {
		return nil, errors.New("keygen: the name spans lines")
	}
	for _, p := range []string{path, path + ".pub"} {
		if _, err := os.Lstat(p); err == nil {
			return nil, fmt.Errorf("keygen: %s exists: not replacing a key", p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("keygen: %w", err)
		}
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	err = atomicfile.Write(path, 0o600, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "%s %s\n", privateTag, base64.StdEncoding.EncodeToString(priv.Seed()))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	err = atomicfile.Write(path+".pub", 0o644, func(w io.Writer) error {
		_, err := io.WriteString(w, FormatPublicKey(pub, name))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	return pub, nil
}

// FormatPublicKey is the public key file's one line: the tag, the key in
// base64, the name.
func FormatPublicKey(pub ed25519.PublicKey, name string) string {
	line := publicTag + " " + base64.StdEncoding.EncodeToString(pub)
	if name != "" {
		line += " " + name
	}
	return line + "\n"
}

// ReadSigningKey reads a private key Keygen wrote. One that others may read
// is refused: whoever reads it can sign updates for every kiosk.
func ReadSigningKey(path string) (ed25519.PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	fields := strings.Fields(string(b))
	if len(fields) != 2 || fields[0] != privateTag {
		if len(fields) > 0 && fields[0] == publicTag {
			return nil, fmt.Errorf("signing key %s: this is a public key; give the private one (without .pub)", path)
		}
		return nil, fmt.Errorf("signing key %s: not a signing key made by kioskctl keygen", path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("signing key %s: mode %04o lets others read it; chmod 600 it", path, st.Mode().Perm())
	}
	seed, err := base64.StdEncoding.DecodeString(fields[1])
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("signing key %s: damaged", path)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// ParsePublicKey reads one public key line.
func ParsePublicKey(b []byte) (ed25519.PublicKey, string, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	fields := strings.Fields(string(line))
	if len(fields) < 2 || fields[0] != publicTag {
		return nil, "", errors.New("not a release public key (kioskctl keygen writes KEY.pub)")
	}
	k, err := base64.StdEncoding.DecodeString(fields[1])
	if err != nil || len(k) != ed25519.PublicKeySize {
		return nil, "", errors.New("damaged release public key")
	}
	return ed25519.PublicKey(k), strings.Join(fields[2:], " "), nil
}

// LoadTrusted reads every *.pub file in dir. A file that is not a key is an
// error (a key pasted wrong must not silently trust nothing); no keys at all
// is one too.
func LoadTrusted(dir string) ([]PublicKey, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.pub"))
	if err != nil {
		return nil, fmt.Errorf("trusted keys: %w", err)
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("trusted keys: no directory %s: this kiosk trusts no bundle (sudo install -d %s, then copy the release key's .pub there)", dir, dir)
	} else if err != nil {
		return nil, fmt.Errorf("trusted keys: %w", err)
	}
	sort.Strings(names)
	var keys []PublicKey
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("trusted keys: %w", err)
		}
		k, name, err := ParsePublicKey(b)
		if err != nil {
			return nil, fmt.Errorf("trusted keys: %s: %w", n, err)
		}
		keys = append(keys, PublicKey{Key: k, Name: name, File: n})
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("trusted keys: no KEY.pub in %s: this kiosk trusts no bundle (copy the release key's .pub there)", dir)
	}
	return keys, nil
}
