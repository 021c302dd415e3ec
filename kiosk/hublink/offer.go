package hublink

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/internal/atomicfile"
	"github.com/hongmajia/hongmajia/kiosk/update"
)

// The kiosk's side of fleet updates: after the pull, a bundle the hub
// offers is downloaded into Options.Incoming (a temp file, its size
// bounded by the offer and the free disk, its SHA-256 checked against the
// offer), and the offer file is dropped beside it for root's updater
// (update.UpdateOffered). The kiosk never installs anything: it cannot,
// and it need not be trusted to: root's updater checks the bundle's
// signature against its own trusted keys.

// DiskReserve is the free disk a download leaves besides the room root's
// copy of the bundle takes: the ledger goes on writing.
var DiskReserve int64 = 64 << 20

// installed is the version this kiosk runs and the outcome of the last
// offered bundle, read from the versions directory when there is one.
func (ln *Link) installed() (version string, outcome *hubsync.UpdateOutcome) {
	version = ln.opts.Version
	if ln.opts.Versions == "" {
		return version, nil
	}
	if in, err := update.ReadInstalled(ln.opts.Versions); err == nil && in.Current != "" {
		version = in.Current
	}
	o, err := update.ReadOutcome(ln.opts.Versions)
	if err != nil {
		ln.opts.Log.Warn("read the outcome of the offered update", "err", err)
	}
	return version, o
}

// takeOffer downloads the bundle off offers, or, with none, clears the
// incoming directory of what an earlier offer left. Its errors fail no
// sync: the next night tries again.
func (ln *Link) takeOffer(ctx context.Context, c *hubsync.Client, off *hubsync.Offer, res *Result) error {
	dir := ln.opts.Incoming
	if dir == "" {
		return nil
	}
	if off == nil {
		return clearIncoming(dir, "")
	}
	if err := off.Check(); err != nil {
		return err
	}
	if off.Arch != ln.opts.Arch {
		return fmt.Errorf("offered %s for %s, this kiosk is %s", off.Version, off.Arch, ln.opts.Arch)
	}
	res.Offered = off.Version
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("incoming: %w", err)
	}
	if err := clearIncoming(dir, off.SHA256); err != nil {
		return err
	}
	path := filepath.Join(dir, update.BundleName(off.SHA256))
	if err := checkFile(path, off); err != nil {
		if err := ln.download(ctx, c, dir, path, off); err != nil {
			return err
		}
		res.Downloaded = true
	}
	// The offer is written again each sync (with tonight's window): root's
	// unit sees it change, and installs if the window is open.
	o := update.Offer{Offer: *off}
	if ln.opts.Window != nil {
		o.NotBefore, o.NotAfter = ln.opts.Window(ln.opts.Clock.Now())
	}
	err := atomicfile.Write(filepath.Join(dir, update.OfferName), 0o640, func(w io.Writer) error {
		return json.NewEncoder(w).Encode(o)
	})
	if err != nil {
		return fmt.Errorf("incoming: offer: %w", err)
	}
	ln.opts.Log.Info("update offered by the hub", "version", off.Version, "downloaded", res.Downloaded, "not_before", o.NotBefore, "not_after", o.NotAfter)
	return nil
}

// download fetches off into path through a temp file beside it.
func (ln *Link) download(ctx context.Context, c *hubsync.Client, dir, path string, off *hubsync.Offer) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return fmt.Errorf("incoming: free disk: %w", err)
	}
	// Root copies the bundle before it unpacks it: twice its size.
	if free := int64(st.Bavail) * int64(st.Bsize); 2*off.Size+DiskReserve > free {
		return fmt.Errorf("incoming: the offered %s is %d bytes; %d free is not enough for it and root's copy", off.Version, off.Size, free)
	}
	tmp, err := os.CreateTemp(dir, ".download-*")
	if err != nil {
		return fmt.Errorf("incoming: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, nothing
	h := sha256.New()
	n, err := c.Bundle(ctx, off.SHA256, io.MultiWriter(tmp, h), off.Size)
	if err == nil && (n != off.Size || hex.EncodeToString(h.Sum(nil)) != off.SHA256) {
		err = fmt.Errorf("the download of %s is %d bytes of SHA-256 %s, the offer says %d bytes of %s: refused",
			off.Version, n, hex.EncodeToString(h.Sum(nil)), off.Size, off.SHA256)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err == nil {
		err = atomicfile.SyncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("incoming: %w", err)
	}
	return nil
}

// checkFile reports whether path holds off's bundle whole (a download of
// an earlier night).
func checkFile(path string, off *hubsync.Offer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, off.Size+1))
	if err != nil {
		return err
	}
	if n != off.Size || hex.EncodeToString(h.Sum(nil)) != off.SHA256 {
		return errors.New("not the offered bundle")
	}
	return nil
}

// clearIncoming removes from dir every file but the bundle of keep (""
// none) and, when keep is not "", the offer: old bundles, downloads cut
// short, an offer withdrawn.
func clearIncoming(dir, keep string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("incoming: %w", err)
	}
	if keep == "" {
		// The offer goes first: root's updater never finds it without
		// its bundle.
		if err := os.Remove(filepath.Join(dir, update.OfferName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("incoming: %w", err)
		}
	}
	for _, e := range ents {
		n := e.Name()
		if keep != "" && (n == update.BundleName(keep) || n == update.OfferName) {
			continue
		}
		if n == update.OfferName || strings.HasSuffix(n, ".bundle") || strings.HasPrefix(n, ".download-") || atomicfile.IsTemp(n) {
			if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("incoming: %w", err)
			}
		}
	}
	return nil
}
