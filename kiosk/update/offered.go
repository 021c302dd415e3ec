package update

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
	"syscall"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
)

// Fleet updates: the kiosk, unprivileged, downloads a bundle the hub offers
// at its nightly sync into IncomingDir of its data directory and drops
// OfferName there; a root unit (hongmajia-update.path) sees the offer and
// runs `kioskctl update --offered`, which is UpdateOffered: the bundle is
// copied out of the kiosk's directory into root's versions directory, and
// installed from there like any other (the same signature, architecture
// and version checks against the trusted keys, the same rollback). What
// became of it is recorded in OutcomeName in the versions directory, which
// the kiosk reports at its next sync.

// IncomingDir is the directory of the kiosk's data directory the kiosk
// downloads offered bundles into.
const IncomingDir = "incoming"

// OfferName is the offer the kiosk drops in IncomingDir once the bundle
// beside it (BundleName) is downloaded and its hash checked.
const OfferName = "offer.json"

// OutcomeName is the outcome of the last offered bundle, in the versions
// directory (root's, readable by the kiosk).
const OutcomeName = "offered.json"

// maxOffer bounds an offer file.
const maxOffer = 64 << 10

// Offer is the offer file: the hub's offer, and the sync window it may be
// installed in (an update restarts the kiosk: never in front of a
// volunteer).
type Offer struct {
	hubsync.Offer
	// NotBefore and NotAfter are the kiosk's nightly sync window; zero: any
	// time.
	NotBefore time.Time `json:"not_before,omitzero"`
	NotAfter  time.Time `json:"not_after,omitzero"`
}

// BundleName is the name of the offered bundle's file in IncomingDir: its
// SHA-256, so a name never says what the file does not hold.
func BundleName(sum string) string { return sum + ".bundle" }

// Outcome is what became of an offered bundle (OutcomeName); the kiosk
// reports it to the hub.
type Outcome = hubsync.UpdateOutcome

// ReadOutcome reads the outcome of the last offered bundle in the versions
// directory; nil when there is none.
func ReadOutcome(versions string) (*Outcome, error) {
	b, err := os.ReadFile(filepath.Join(versions, OutcomeName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("update: outcome: %w", err)
	}
	var o Outcome
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("update: outcome: %w", err)
	}
	return &o, nil
}

// OfferedOptions tune UpdateOffered.
type OfferedOptions struct {
	// AnyTime installs outside the offer's sync window (a technician who
	// is there).
	AnyTime bool
}

// ErrNotNow: the offer's sync window is not open; it is installed when the
// kiosk drops it again in its window.
var ErrNotNow = errors.New("outside the sync window")

// UpdateOffered installs the bundle the kiosk offers in incoming (its
// IncomingDir). It reads the offer without following a link, copies the
// bundle out of the kiosk's directory into the versions directory (checking
// its hash against the offer), so that what is verified is what is
// installed, and runs Update on the copy. Outside the offer's window it
// changes nothing and returns ErrNotNow. An offer already installed, or
// one that failed here before, is left alone. Every other outcome is
// recorded in OutcomeName and returned.
func (u *Updater) UpdateOffered(ctx context.Context, incoming string, o OfferedOptions) error {
	off, err := readOffer(incoming)
	if err != nil {
		return err
	}
	now := u.clk().Now()
	if !o.AnyTime && (!off.NotBefore.IsZero() && now.Before(off.NotBefore) || !off.NotAfter.IsZero() && !now.Before(off.NotAfter)) {
		u.logf("offered %s: outside the sync window, %s; now %s", off.Version, window(off.NotBefore, off.NotAfter),
			now.In(off.NotBefore.Location()).Format("2006-01-02 15:04"))
		return fmt.Errorf("update: offered %s: %w", off.Version, ErrNotNow)
	}
	in, err := ReadInstalled(u.Versions)
	if err != nil {
		return err
	}
	if in.Current == off.Version {
		u.logf("offered %s: installed already", off.Version)
		return nil
	}
	if last, err := ReadOutcome(u.Versions); err == nil && last != nil && !last.OK && last.Version == off.Version {
		u.logf("offered %s: it failed here before (%s); not tried again", off.Version, last.Error)
		return nil
	}
	u.logf("offered %s (%s, %s, SHA-256 %s)", off.Version, off.Arch, mb(off.Size), off.SHA256)
	// Root writes into the versions directory only through a checked open
	// of it (root.go): the kiosk's user owns the directory above it.
	r, err := openVersions(u.Versions)
	if err != nil {
		return fmt.Errorf("update: %w; nothing changed", err)
	}
	defer r.Close()
	err = u.installOffered(ctx, r, incoming, off)
	rec := Outcome{Version: off.Version, OK: err == nil, At: u.clk().Now().UTC()}
	if err != nil {
		rec.Error = err.Error()
	}
	if werr := writeJSONRoot(r, OutcomeName, rec); werr != nil {
		u.logf("record the outcome: %v", werr)
		if err == nil {
			err = fmt.Errorf("update: %s is installed, but %w", off.Version, werr)
		}
	}
	return err
}

func (u *Updater) installOffered(ctx context.Context, r *os.Root, incoming string, off *Offer) error {
	src, err := openNoFollow(filepath.Join(incoming, BundleName(off.SHA256)), off.Size)
	if err != nil {
		return fmt.Errorf("update: offered bundle: %w", err)
	}
	defer src.Close()
	if err := u.checkFree(off.Size); err != nil {
		return err
	}
	// Not tmpPrefix: Update cleans those away as it starts.
	name := ".offered-" + off.SHA256 + ".bundle"
	defer r.Remove(name)
	err = writeRoot(r, name, 0o600, func(w io.Writer) error {
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(src, off.Size+1))
		if err != nil {
			return err
		}
		if got := hex.EncodeToString(h.Sum(nil)); n != off.Size || got != off.SHA256 {
			return fmt.Errorf("%w: the bundle in %s is %d bytes of SHA-256 %s, the offer says %d bytes of %s",
				ErrTampered, incoming, n, got, off.Size, off.SHA256)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update: offered bundle: %w", err)
	}
	return u.Update(ctx, filepath.Join(u.Versions, name), Options{})
}

// checkFree refuses a copy of n bytes that would leave the versions
// directory's disk without room for its unpacking.
func (u *Updater) checkFree(n int64) error {
	free := u.Free
	if free == nil {
		free = freeBytes
	}
	avail, err := free(u.Versions)
	if err != nil {
		return fmt.Errorf("free disk on %s: %w", u.Versions, err)
	}
	if uint64(n)+16<<20 > avail {
		return fmt.Errorf("%w: a copy of the offered bundle needs %s on %s; %s free", ErrNoSpace, mb(n), u.Versions, mb(int64(avail)))
	}
	return nil
}

// ReadOffer reads the offer the kiosk left in incoming (IncomingDir), as
// UpdateOffered would; nil when there is none.
func ReadOffer(incoming string) (*Offer, error) {
	off, err := readOffer(incoming)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return off, err
}

// readOffer reads incoming's offer file: never through a link (the
// directory is the kiosk's user's, and this runs as root), a regular file
// of at most maxOffer bytes, an offer that reads.
func readOffer(incoming string) (*Offer, error) {
	f, err := openNoFollow(filepath.Join(incoming, OfferName), -1)
	if err != nil {
		return nil, fmt.Errorf("update: offer: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxOffer+1))
	if err != nil || len(b) > maxOffer {
		return nil, fmt.Errorf("update: offer: too large or unreadable (%v)", err)
	}
	var off Offer
	if err := json.Unmarshal(b, &off); err != nil {
		return nil, fmt.Errorf("update: offer: %w", err)
	}
	if err := off.Check(); err != nil {
		return nil, fmt.Errorf("update: %w", err)
	}
	return &off, nil
}

// openNoFollow opens path for reading if it is a regular file (not a link,
// a FIFO or a device) and, when size >= 0, of that size.
func openNoFollow(path string, size int64) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file", path)
	}
	if err == nil && size >= 0 && st.Size() != size {
		err = fmt.Errorf("%s is %d bytes, the offer says %d", path, st.Size(), size)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// window says a sync window as a technician reads it, in its own zone (the
// center's): "2026-03-02 02:13 to 04:00 (+08:00)".
func window(from, to time.Time) string {
	const day, minute = "2006-01-02 ", "15:04"
	end := to.In(from.Location()).Format(day + minute)
	if to.In(from.Location()).Format(day) == from.Format(day) {
		end = to.In(from.Location()).Format(minute)
	}
	return fmt.Sprintf("%s to %s (%s)", from.Format(day+minute), end, from.Format("-07:00"))
}
