package update

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// The bundle's first two members.
const (
	manifestName  = "manifest.json"
	signatureName = "manifest.sig"
)

// sigDomain is signed before the manifest, so a release signature is never
// taken for any other signature made with the same key.
const sigDomain = "hongmajia release manifest v1\n"

// maxManifest bounds what is read before the signature is checked.
const maxManifest = 1 << 20

// Why a bundle is refused; each error wraps one.
var (
	ErrNotBundle = errors.New("not a release bundle")
	ErrUnsigned  = errors.New("bundle is not signed")
	ErrUntrusted = errors.New("bundle is signed by a key this kiosk does not trust")
	ErrTampered  = errors.New("bundle does not match its signature")
	ErrArch      = errors.New("bundle is for another architecture")
	ErrDowngrade = errors.New("bundle is not newer than the installed version")
	ErrNoSpace   = errors.New("not enough free disk")
)

func signedBytes(manifest []byte) []byte {
	return append([]byte(sigDomain), manifest...)
}

// BuildOptions say what Build puts in a bundle.
type BuildOptions struct {
	Version   string
	MinSchema int
	// Arch is the release's architecture; empty: the programs' own (they
	// must agree).
	Arch    string
	Created time.Time
}

// Build writes a bundle of files (paths; each goes in under its base name)
// signed with key to w, and returns its manifest.
func Build(w io.Writer, key ed25519.PrivateKey, files []string, o BuildOptions) (*Manifest, error) {
	m := &Manifest{Format: manifestFormat, Version: o.Version, Arch: o.Arch, MinSchema: o.MinSchema,
		Created: o.Created.UTC(), KeyID: KeyID(key.Public().(ed25519.PublicKey))}
	if err := checkVersion(o.Version); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	if len(files) == 0 {
		return nil, errors.New("bundle: no files")
	}
	programArch := ""
	for _, p := range files {
		f, err := describe(p)
		if err != nil {
			return nil, fmt.Errorf("bundle: %w", err)
		}
		if f.arch != "" {
			if programArch != "" && programArch != f.arch {
				return nil, fmt.Errorf("bundle: %s is for %s, the others for %s", p, f.arch, programArch)
			}
			programArch = f.arch
		}
		m.Files = append(m.Files, f.File)
	}
	switch {
	case m.Arch == "" && programArch == "":
		return nil, errors.New("bundle: no program says its architecture: give one")
	case m.Arch == "":
		m.Arch = programArch
	case programArch != "" && programArch != m.Arch:
		return nil, fmt.Errorf("bundle: the programs are for %s, not %s", programArch, m.Arch)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	sig := ed25519.Sign(key, signedBytes(raw))
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	add := func(name string, mode int64, size int64, body io.Reader) error {
		hdr := &tar.Header{Name: name, Mode: mode, Size: size, ModTime: m.Created, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		n, err := io.Copy(tw, body)
		if err == nil && n != size {
			err = fmt.Errorf("%s changed while it was bundled", name)
		}
		return err
	}
	if err := add(manifestName, 0o644, int64(len(raw)), bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	if err := add(signatureName, 0o644, int64(len(sig)), bytes.NewReader(sig)); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	for i, p := range files {
		err := func() error {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			h := sha256.New()
			if err := add(m.Files[i].Name, int64(m.Files[i].Mode), m.Files[i].Size, io.TeeReader(f, h)); err != nil {
				return err
			}
			if hex.EncodeToString(h.Sum(nil)) != m.Files[i].SHA256 {
				return fmt.Errorf("%s changed while it was bundled", p)
			}
			return nil
		}()
		if err != nil {
			return nil, fmt.Errorf("bundle: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	return m, nil
}

type described struct {
	File
	arch string
}

func describe(path string) (described, error) {
	f, err := os.Open(path)
	if err != nil {
		return described{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return described{}, err
	}
	if !st.Mode().IsRegular() {
		return described{}, fmt.Errorf("%s is not a regular file", path)
	}
	arch, err := BinaryArch(f)
	if err != nil {
		return described{}, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return described{}, err
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return described{}, err
	}
	mode := uint32(0o644)
	if arch != "" || st.Mode().Perm()&0o111 != 0 {
		mode = 0o755
	}
	return described{File: File{Name: filepath.Base(path), Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), Mode: mode}, arch: arch}, nil
}

// Bundle is an opened bundle whose manifest's signature has been checked;
// its files are checked against the manifest as Extract reads them.
type Bundle struct {
	Manifest Manifest
	Signer   PublicKey
	raw, sig []byte
	f        *os.File
	tr       *tar.Reader
}

// OpenBundle opens the bundle at path and checks its manifest's signature
// against the trusted keys. Nothing else of the bundle is read yet.
func OpenBundle(path string, trusted []PublicKey) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open bundle: %w", err)
	}
	b, err := readHead(f, trusted)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("bundle %s: %w", path, err)
	}
	return b, nil
}

func readHead(f *os.File, trusted []PublicKey) (*Bundle, error) {
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%w (not gzip: %v)", ErrNotBundle, err)
	}
	tr := tar.NewReader(gz)
	member := func(want string, missing error) ([]byte, error) {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, missing
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotBundle, err)
		}
		if hdr.Name != want {
			return nil, fmt.Errorf("%w: found %s where %s belongs", missing, hdr.Name, want)
		}
		if hdr.Size > maxManifest {
			return nil, fmt.Errorf("%w: %s of %d bytes", ErrNotBundle, want, hdr.Size)
		}
		b, err := io.ReadAll(io.LimitReader(tr, maxManifest))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotBundle, err)
		}
		return b, nil
	}
	raw, err := member(manifestName, ErrNotBundle)
	if err != nil {
		return nil, err
	}
	sig, err := member(signatureName, ErrUnsigned)
	if err != nil {
		return nil, err
	}
	var m Manifest
	// The key id is read before the signature is checked, only to pick
	// the key; every key is tried, so a lying id only changes the message.
	_ = json.Unmarshal(raw, &m)
	var signer *PublicKey
	for i, k := range trusted {
		if ed25519.Verify(k.Key, signedBytes(raw), sig) {
			signer = &trusted[i]
			break
		}
	}
	if signer == nil {
		for _, k := range trusted {
			if KeyID(k.Key) == m.KeyID {
				return nil, fmt.Errorf("%w: its signature by %s (%s) does not hold", ErrTampered, m.KeyID, k.File)
			}
		}
		return nil, fmt.Errorf("%w (signed by key %s; trusted: %s)", ErrUntrusted, m.KeyID, keyIDs(trusted))
	}
	m = Manifest{}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: manifest: %v", ErrNotBundle, err)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotBundle, err)
	}
	return &Bundle{Manifest: m, Signer: *signer, raw: raw, sig: sig, f: f, tr: tr}, nil
}

func keyIDs(keys []PublicKey) string {
	s := ""
	for i, k := range keys {
		if i > 0 {
			s += ", "
		}
		s += KeyID(k.Key)
		if k.Name != "" {
			s += " (" + k.Name + ")"
		}
	}
	return s
}

// Close closes the bundle's file.
func (b *Bundle) Close() error { return b.f.Close() }

// Extract reads the bundle's files, each into the writer open gives it (nil:
// read and check only), and checks each against the manifest: its size,
// its SHA-256, none missing, none extra, none twice. open's writers are
// closed by the caller; a file that fails its check has been written in
// part, so the caller writes into a place it throws away on error.
func (b *Bundle) Extract(open func(File) (io.Writer, error)) error {
	want := map[string]File{}
	for _, f := range b.Manifest.Files {
		want[f.Name] = f
	}
	for {
		hdr, err := b.tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrTampered, err)
		}
		f, ok := want[hdr.Name]
		if !ok {
			return fmt.Errorf("%w: %s is not in the manifest (or is there twice)", ErrTampered, hdr.Name)
		}
		delete(want, hdr.Name)
		if hdr.Typeflag != tar.TypeReg || hdr.Size != f.Size {
			return fmt.Errorf("%w: %s is %d bytes, the manifest says %d", ErrTampered, hdr.Name, hdr.Size, f.Size)
		}
		var w io.Writer = io.Discard
		if open != nil {
			if w, err = open(f); err != nil {
				return err
			}
		}
		h := sha256.New()
		if _, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(b.tr, f.Size)); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("%w: %s is cut short", ErrTampered, f.Name)
			}
			return fmt.Errorf("unpack %s: %w", f.Name, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
			return fmt.Errorf("%w: %s has SHA-256 %s, the manifest says %s", ErrTampered, f.Name, got, f.SHA256)
		}
	}
	for n := range want {
		return fmt.Errorf("%w: %s is missing", ErrTampered, n)
	}
	return nil
}
