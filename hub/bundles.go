package hub

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/internal/atomicfile"
)

// Fleet updates: the hub keeps signed release bundles (kioskctl bundle) in
// its data directory and offers each kiosk of the chosen centers the newest
// one of its architecture that is newer than what it runs, in its pull
// answer. The kiosk downloads it at its nightly sync and its updater, as
// root, installs it after the same checks as an update over SSH: the
// signature against the kiosk's own trusted keys, the architecture, the
// version, with the same rollback. The hub holds no release key and
// trusts no bundle: it checks a bundle's form only, so a hub that is taken
// still cannot make a kiosk run anything a release key did not sign.

// BundlesDir is the directory under the hub's data directory that holds
// the bundles, each under its SHA-256.
const BundlesDir = "bundles"

// Bundle is a release bundle the hub offers.
type Bundle struct {
	SHA256  string // hex, lower case: the file's name and the download's
	Version string
	Arch    string
	Size    int64
	// Centers are the centers whose kiosks are offered it; none: every
	// center.
	Centers   []string
	Added     time.Time
	AddedBy   string
	Withdrawn time.Time // zero: offered
}

// For reports whether b is offered to a kiosk of center running arch.
func (b Bundle) For(center, arch string) bool {
	return b.Withdrawn.IsZero() && b.Arch == arch && (len(b.Centers) == 0 || slices.Contains(b.Centers, center))
}

// UpdateOutcome is what became of the last bundle offered to a kiosk, as
// the kiosk reported it.
type UpdateOutcome struct {
	Version string
	OK      bool
	Error   string
	At      time.Time
}

// maxOutcome bounds the words of a kiosk's update outcome the hub keeps.
const maxOutcome = 1024

// BundleInfo is what a bundle's manifest says of it.
type BundleInfo struct {
	Version string
	Arch    string
	Files   int
}

// ErrNotBundle: a file that is not a well-formed release bundle.
var ErrNotBundle = errors.New("hub: not a release bundle")

// bundleManifest is the part of a bundle's manifest the hub reads.
type bundleManifest struct {
	Format  int    `json:"format"`
	Version string `json:"version"`
	Arch    string `json:"arch"`
	Files   []struct {
		Name   string `json:"name"`
		Size   int64  `json:"size"`
		SHA256 string `json:"sha256"`
	} `json:"files"`
}

// maxManifest bounds a bundle's manifest and signature.
const maxManifest = 1 << 20

// ReadBundle reads a whole bundle from r and checks its form: gzip'd tar,
// manifest.json (format 1, a version, an architecture) then manifest.sig,
// then exactly the files the manifest names, each of its size and SHA-256.
// The signature is not checked: that is each kiosk's, against its own
// trusted keys.
func ReadBundle(r io.Reader) (BundleInfo, error) {
	bad := func(format string, args ...any) (BundleInfo, error) {
		return BundleInfo{}, fmt.Errorf("%w: %s", ErrNotBundle, fmt.Sprintf(format, args...))
	}
	gz, err := gzip.NewReader(r)
	if err != nil {
		return bad("not gzip: %v", err)
	}
	tr := tar.NewReader(gz)
	member := func(want string) ([]byte, error) {
		hdr, err := tr.Next()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", want, err)
		}
		if hdr.Name != want || hdr.Size > maxManifest {
			return nil, fmt.Errorf("found %s where %s belongs", hdr.Name, want)
		}
		return io.ReadAll(io.LimitReader(tr, maxManifest))
	}
	raw, err := member("manifest.json")
	if err != nil {
		return bad("%v", err)
	}
	sig, err := member("manifest.sig")
	if err != nil {
		return bad("unsigned: %v", err)
	}
	if len(sig) != 64 {
		return bad("a signature of %d bytes, not ed25519's 64", len(sig))
	}
	var m bundleManifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return bad("manifest: %v", err)
	}
	if m.Format != 1 || hubsync.CheckVersion(m.Version) != nil || m.Arch == "" || len(m.Files) == 0 {
		return bad("manifest of format %d, version %q, architecture %q, %d files", m.Format, m.Version, m.Arch, len(m.Files))
	}
	type file struct {
		size int64
		sum  string
	}
	want := map[string]file{}
	for _, f := range m.Files {
		want[f.Name] = file{f.Size, f.SHA256}
	}
	if len(want) != len(m.Files) {
		return bad("the manifest names a file twice")
	}
	// The kiosk refuses a release without its kioskctl (every later update
	// and rollback runs the version's own): refused here first, so it is
	// never offered.
	if _, ok := want["kioskctl"]; !ok {
		return bad("no kioskctl among its files (a kiosk refuses such a release: bundle kiosk, kiosk-screen and kioskctl)")
	}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return bad("%v", err)
		}
		f, ok := want[hdr.Name]
		if !ok {
			return bad("%s is not in the manifest (or is there twice)", hdr.Name)
		}
		delete(want, hdr.Name)
		h := sha256.New()
		n, err := io.Copy(h, tr)
		if err != nil {
			return bad("%s: %v", hdr.Name, err)
		}
		if n != f.size || hex.EncodeToString(h.Sum(nil)) != f.sum {
			return bad("%s does not match the manifest", hdr.Name)
		}
	}
	for n := range want {
		return bad("%s is missing", n)
	}
	return BundleInfo{Version: m.Version, Arch: m.Arch, Files: len(m.Files)}, nil
}

// AddBundle offers the bundle in the file at path to the kiosks of centers
// (none: every center): it checks the bundle's form (ReadBundle) and size
// (at most hubsync.MaxBundle), copies it into the data directory under its
// SHA-256 and records it. The same file added again is offered again, to
// the centers given now.
func (h *Hub) AddBundle(ctx context.Context, path string, centers []string, by Actor) (Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return Bundle{}, fmt.Errorf("hub: bundle: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Bundle{}, fmt.Errorf("hub: bundle: %w", err)
	}
	if !st.Mode().IsRegular() || st.Size() > hubsync.MaxBundle {
		return Bundle{}, fmt.Errorf("hub: bundle %s: %d bytes, the most a kiosk takes is %d", path, st.Size(), int64(hubsync.MaxBundle))
	}
	sum := sha256.New()
	info, err := ReadBundle(io.TeeReader(io.LimitReader(f, hubsync.MaxBundle), sum))
	if err != nil {
		return Bundle{}, fmt.Errorf("bundle %s: %w", path, err)
	}
	// The rest of the file (a gzip trailer read or not) counts in the hash.
	if _, err := io.Copy(sum, f); err != nil {
		return Bundle{}, fmt.Errorf("hub: bundle: %w", err)
	}
	b := Bundle{SHA256: hex.EncodeToString(sum.Sum(nil)), Version: info.Version, Arch: info.Arch, Size: st.Size(),
		Centers: slices.Compact(slices.Sorted(slices.Values(centers))), Added: h.now().UTC(), AddedBy: by.User + by.Addr}
	if h.dataDir == "" {
		return Bundle{}, errors.New("hub: bundle: the hub has no data directory")
	}
	dir := filepath.Join(h.dataDir, BundlesDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Bundle{}, fmt.Errorf("hub: bundle: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Bundle{}, fmt.Errorf("hub: bundle: %w", err)
	}
	err = atomicfile.Write(filepath.Join(dir, b.SHA256), 0o600, func(w io.Writer) error {
		hw := sha256.New()
		if _, err := io.Copy(io.MultiWriter(w, hw), f); err != nil {
			return err
		}
		if hex.EncodeToString(hw.Sum(nil)) != b.SHA256 {
			return fmt.Errorf("%s changed while it was read", path)
		}
		return nil
	})
	if err != nil {
		return Bundle{}, fmt.Errorf("hub: bundle: %w", err)
	}
	err = h.store.Update(ctx, func(tx Tx) error {
		for _, c := range b.Centers {
			if _, err := tx.Center(c); err != nil {
				return fmt.Errorf("center %s: %w", c, err)
			}
		}
		if err := tx.PutBundle(b); err != nil {
			return err
		}
		to := "all centers"
		if len(b.Centers) > 0 {
			to = strings.Join(b.Centers, " ")
		}
		return h.audit(tx, by, AuditBundleAdd, "", b.Version+" "+b.Arch, to+" · SHA-256 "+b.SHA256)
	})
	if err != nil {
		return Bundle{}, fmt.Errorf("hub: bundle: %w", err)
	}
	h.log.Info("bundle offered", "version", b.Version, "arch", b.Arch, "sha256", b.SHA256, "centers", b.Centers)
	return b, nil
}

// Bundles are every bundle the hub offers or offered, the latest added
// first.
func (h *Hub) Bundles(ctx context.Context) ([]Bundle, error) {
	var out []Bundle
	err := h.store.View(ctx, func(r Reader) error {
		var err error
		out, err = r.Bundles()
		return err
	})
	return out, err
}

// WithdrawBundle stops offering the bundles of version (of every
// architecture) and returns them; ErrNotFound when none is offered. A
// kiosk that downloaded one already may still install it.
func (h *Hub) WithdrawBundle(ctx context.Context, version string, by Actor) ([]Bundle, error) {
	var out []Bundle
	err := h.store.Update(ctx, func(tx Tx) error {
		all, err := tx.Bundles()
		if err != nil {
			return err
		}
		for _, b := range all {
			if b.Version == version && b.Withdrawn.IsZero() {
				b.Withdrawn = h.now().UTC()
				if err := tx.PutBundle(b); err != nil {
					return err
				}
				out = append(out, b)
			}
		}
		if len(out) == 0 {
			return fmt.Errorf("hub: no bundle of version %s is offered: %w", version, ErrNotFound)
		}
		archs := make([]string, len(out))
		for i, b := range out {
			archs[i] = b.Arch
		}
		return h.audit(tx, by, AuditBundleWithdraw, "", version, strings.Join(archs, " "))
	})
	if err != nil {
		return nil, err
	}
	// The files stay: a kiosk may be downloading one now; the next
	// `bundle add` of the same file needs no copy.
	return out, nil
}

// offerFor is the bundle offered to kiosk k: the newest of its arch offered
// to its center, newer than the version it runs, and not one it reported
// failing (a bundle that rolled back is not tried every night; a newer one
// is offered instead). A kiosk that has not said its arch, or runs a
// version that is no release's (a development build), is offered nothing.
func offerFor(r Reader, k Kiosk) (*Bundle, error) {
	if k.Arch == "" || hubsync.CheckVersion(k.Version) != nil {
		return nil, nil
	}
	all, err := r.Bundles()
	if err != nil {
		return nil, err
	}
	var best *Bundle
	for i, b := range all {
		if !b.For(k.Center, k.Arch) || hubsync.CompareVersions(b.Version, k.Version) <= 0 {
			continue
		}
		if k.Outcome != nil && !k.Outcome.OK && k.Outcome.Version == b.Version {
			continue
		}
		if best == nil || hubsync.CompareVersions(b.Version, best.Version) > 0 {
			best = &all[i]
		}
	}
	return best, nil
}

// OpenBundle opens the bundle of hex SHA-256 sum for a download by the
// kiosk that signed m: the bundle must be offered to it (its center and
// arch, not withdrawn), else hubsync.ErrNotOffered. The caller closes the
// file.
func (h *Hub) OpenBundle(ctx context.Context, m hubsync.Meta, sum string) (*os.File, Bundle, error) {
	var b Bundle
	err := h.store.View(ctx, func(r Reader) error {
		k, err := liveKiosk(r, m.Terminal)
		if err != nil {
			return err
		}
		b, err = r.Bundle(sum)
		if errors.Is(err, ErrNotFound) || (err == nil && !b.For(k.Center, k.Arch)) {
			return fmt.Errorf("bundle %s: %w", sum, hubsync.ErrNotOffered)
		}
		return err
	})
	if err != nil {
		return nil, Bundle{}, err
	}
	f, err := os.Open(filepath.Join(h.dataDir, BundlesDir, b.SHA256))
	if err != nil {
		return nil, Bundle{}, fmt.Errorf("hub: bundle %s: %w", sum, err)
	}
	return f, b, nil
}
