package hublink

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// Options are what a Link needs besides its ledger and key.
type Options struct {
	// URL overrides the hub's address the ledger holds (a hub that moved;
	// tests). "": the enrolled one.
	URL string
	// HTTP sends the requests; nil: hubsync's default (bounded timeout).
	HTTP *http.Client
	// Clock stamps the requests; nil: the system clock.
	Clock clock.Clock
	// Sync says whether the clock is NTP-synced; nil: the kernel's word.
	Sync clock.SyncSource
	// Version is this program's version, which the hub shows (the
	// installed release's, from Versions, when there is one).
	Version string
	// Fleet updates (update.UpdateOffered), each optional. Arch is this
	// kiosk's GOARCH: the hub offers bundles of it ("": none). Versions is
	// the versions directory (update.DefaultVersions): the release this
	// kiosk runs, and the outcome of the last offered bundle, which a push
	// reports. Incoming is where an offered bundle is downloaded
	// (<data>/incoming; "": offers are not taken); Window the nightly sync
	// window of a time, written into the offer: root's updater installs
	// only then.
	Arch     string
	Versions string
	Incoming string
	Window   func(now time.Time) (start, end time.Time)
	// Log; nil: discard.
	Log *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Sync == nil {
		o.Sync = clock.KernelSync{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	return o
}

// Link syncs one ledger with its hub. It is safe for concurrent use, but
// Sync runs one at a time: a second waits for the first.
type Link struct {
	l    *ledger.Ledger
	key  ed25519.PrivateKey
	opts Options
	one  chan struct{} // a token: held while a sync runs
	// distrust: the hub refused this kiosk's "trusted" clock (off by more
	// than hubsync.ClockWindow though NTP says synced: a wrong NTP
	// server); requests say untrusted from then on, and the hub corrects
	// the entries' times.
	distrust atomic.Bool
}

// trusted is what a request says of the kiosk's clock.
func (ln *Link) trusted() bool { return ln.opts.Sync.Synced() && !ln.distrust.Load() }

// New returns a Link for l, signing with key.
func New(l *ledger.Ledger, key ed25519.PrivateKey, opts Options) *Link {
	ln := &Link{l: l, key: key, opts: opts.withDefaults(), one: make(chan struct{}, 1)}
	return ln
}

// ErrNotEnrolled: the ledger was never enrolled with a hub.
var ErrNotEnrolled = errors.New("this kiosk is not enrolled with a hub (kioskctl enroll)")

// ErrRefused: the hub refused a push (a gap, a broken chain) and stored
// nothing of it; the kiosk keeps everything and a technician looks.
var ErrRefused = errors.New("push refused by the hub")

// Result is what one sync did.
type Result struct {
	// Pushed counts the entries the hub took in this sync, Changes the
	// registry changes, Pickups the pickup codes and hand-outs.
	Pushed, Changes, Pickups int
	// PickupsKept: the hub took none of the pickup rows sent (a hub older
	// than them): the ledger keeps them for a hub that takes them.
	PickupsKept bool
	// Acked is the highest sequence the hub holds; Unsynced what it does
	// not hold yet.
	Acked, Unsynced uint64
	// Version is the registry version now held; Pulled the rows applied.
	Version uint64
	Pulled  int
	// Refused is why the hub refused the push ("" when taken); Fork that
	// the ledger differs from the hub's anchor (a technician must restore).
	Refused string
	Fork    bool
	// ClockOffset is the hub's clock less this kiosk's.
	ClockOffset time.Duration
	Took        time.Duration
	// Offered is the version of a bundle the hub offers ("" none);
	// Downloaded says it was downloaded in this sync; OfferError why it
	// could not be taken (the sync succeeds without it).
	Offered    string
	Downloaded bool
	OfferError string
}

// client is the protocol client for en's hub.
func (ln *Link) client(en ledger.Enrollment) *hubsync.Client {
	url := en.HubURL
	if ln.opts.URL != "" {
		url = ln.opts.URL
	}
	return &hubsync.Client{
		BaseURL: url, Terminal: ln.l.Terminal().ID, Key: ln.key, HubKey: en.HubKey, HTTP: ln.opts.HTTP,
		Counter: ln.l.NextCounter, Clock: ln.opts.Clock, Trusted: ln.trusted,
	}
}

// Sync runs one sync: every registry change and entry the hub does not hold
// yet, in batches, then the registry's changes and the district balances
// since the version held. A refused push stops the sync (the refusal is in
// the ledger's SyncState, for status and the staff screen) and is returned
// as an error wrapping hubsync.ErrFork or ErrRefused; a network
// failure wraps hubsync.ErrNetwork (hubsync.Retryable). Whatever an
// interrupted sync stored stays stored: the next one goes on from there.
func (ln *Link) Sync(ctx context.Context) (Result, error) {
	select {
	case ln.one <- struct{}{}:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	defer func() { <-ln.one }()
	start := ln.opts.Clock.Now()
	res, err := ln.sync(ctx)
	if errors.Is(err, hubsync.ErrClock) && !ln.distrust.Swap(true) {
		ln.opts.Log.Warn("the hub says this kiosk's clock is far from its own though NTP says it is synced; syncing with the clock untrusted", "err", err)
		res, err = ln.sync(ctx)
	}
	res.Took = ln.opts.Clock.Now().Sub(start)
	if err != nil {
		ln.opts.Log.Warn("sync failed", "pushed", res.Pushed, "changes", res.Changes, "pickups", res.Pickups, "acked", res.Acked, "err", err)
	} else {
		ln.opts.Log.Info("synced", "pushed", res.Pushed, "changes", res.Changes, "pickups", res.Pickups, "acked", res.Acked,
			"version", res.Version, "pulled", res.Pulled, "took", res.Took)
	}
	return res, err
}

func (ln *Link) sync(ctx context.Context) (Result, error) {
	var res Result
	en, err := ln.l.Enrollment(ctx)
	if err != nil {
		return res, err
	}
	if !en.Enrolled {
		return res, ErrNotEnrolled
	}
	c := ln.client(en)
	if err := ln.push(ctx, c, &res); err != nil {
		return res, err
	}
	offer, err := ln.pull(ctx, c, &res)
	if err != nil {
		return res, err
	}
	if err := ln.takeOffer(ctx, c, offer, &res); err != nil {
		res.OfferError = err.Error()
		ln.opts.Log.Warn("the update the hub offers is not taken", "err", err)
	}
	// The nightly upkeep that keeps the file bounded: the idempotency log
	// keeps its latest results only. A failure here fails no sync.
	if n, err := ln.l.PruneRequests(ctx, 0); err != nil {
		ln.opts.Log.Warn("prune the idempotency log", "err", err)
	} else if n > 0 {
		ln.opts.Log.Info("idempotency log pruned", "results", n)
	}
	st, err := ln.l.SyncState(ctx)
	if err != nil {
		return res, err
	}
	res.Acked, res.Unsynced, res.Version, res.ClockOffset = st.AckedSeq, st.Unsynced, st.RegistryVersion, st.ClockOffset
	return res, nil
}

// push sends the outbox, the entries and the pickup rows after what the
// hub acknowledged, a batch at a time (the outbox first), until the hub
// holds everything. At least one push is sent: an empty one still shows the
// hub the kiosk's head, which is how a ledger behind its anchor is found.
func (ln *Link) push(ctx context.Context, c *hubsync.Client, res *Result) error {
	// A sync sends the entries there were when it began: one on a kiosk
	// that taps faster than a push's round trip still ends, and what came
	// after goes with the next.
	start, err := ln.l.Head(ctx)
	if err != nil {
		return err
	}
	for first := true; ; first = false {
		en, err := ln.l.Enrollment(ctx)
		if err != nil {
			return err
		}
		// The entries are read before the registry changes, which go first
		// at the hub: every person an entry names was made (its outbox row
		// written in the same transaction) before the entry, so the changes
		// read after hold them. A full batch of changes may leave more: it
		// goes alone. Else the hub could hold a balance before the person
		// it is of, and a kiosk whose pull is cut between the two could not
		// apply that pull.
		var entries []record.Entry
		if start.Seq > en.Acked.Seq {
			if entries, err = ln.l.EntriesAfter(ctx, en.Acked.Seq, int(min(start.Seq-en.Acked.Seq, hubsync.MaxBatch))); err != nil {
				return err
			}
		}
		changes, err := ln.l.Changes(ctx, en.ChangesAcked, hubsync.MaxChanges)
		if err != nil {
			return err
		}
		if len(changes) == hubsync.MaxChanges {
			entries = nil
		}
		// The pickup rows of the redemptions the hub will hold once it has
		// this push's entries: the hub sets each on its redemption.
		var pickups []hubsync.Pickup
		if !res.PickupsKept {
			through := en.Acked.Seq
			if n := len(entries); n > 0 {
				through = entries[n-1].Seq
			}
			if pickups, err = ln.l.Pickups(ctx, en.PickupsAcked, through, hubsync.MaxPickups); err != nil {
				return err
			}
		}
		if !first && len(changes) == 0 && len(entries) == 0 && len(pickups) == 0 {
			return nil
		}
		head, err := ln.l.Head(ctx)
		if err != nil {
			return err
		}
		raw, err := encode(entries)
		if err != nil {
			return err
		}
		version, outcome := ln.installed()
		p := hubsync.Push{Terminal: c.Terminal, Version: version, Acked: en.Acked,
			ChangesAcked: en.ChangesAcked, Changes: changes, Entries: raw, Head: head, Registry: en.RegistryVersion,
			PickupsAcked: en.PickupsAcked, Pickups: pickups, Arch: ln.opts.Arch, Installed: outcome}
		r, err := c.Push(ctx, p)
		if err != nil {
			return err
		}
		if err := ln.l.RecordPush(ctx, r); err != nil {
			res.Fork = errors.Is(err, hubsync.ErrFork)
			return err
		}
		if r.Refused != "" {
			res.Refused, res.Fork = r.Refused, r.Fork
			kind := ErrRefused
			if r.Fork {
				kind = hubsync.ErrFork
			}
			return fmt.Errorf("the hub refused the push: %s: %w", r.Refused, kind)
		}
		if r.Acked.Seq > en.Acked.Seq {
			res.Pushed += int(r.Acked.Seq - en.Acked.Seq)
		}
		if r.ChangesAcked > en.ChangesAcked {
			res.Changes += int(r.ChangesAcked - en.ChangesAcked)
		}
		if n := len(pickups); n > 0 {
			if r.PickupsAcked < pickups[n-1].Seq {
				// A hub older than pickups reads none of them and says
				// nothing of them; the rows stay for a hub that takes them,
				// and the entries go on without them.
				res.PickupsKept = true
				ln.opts.Log.Info("the hub takes no pickup codes and hand-outs (an older hub); the kiosk keeps them", "rows", n)
			} else {
				res.Pickups += n
			}
		}
		// A hub that took nothing of a full batch would be asked the same
		// forever.
		if (len(entries) > 0 && r.Acked.Seq <= en.Acked.Seq) || (len(changes) > 0 && r.ChangesAcked <= en.ChangesAcked) {
			return fmt.Errorf("the hub acknowledged nothing of a batch (entries after %d, changes after %d): %w",
				en.Acked.Seq, en.ChangesAcked, hubsync.ErrHub)
		}
	}
}

// pull applies the registry's changes since the version held, one answer
// per transaction, until the hub has no more, and returns the last
// answer's offer of a bundle.
func (ln *Link) pull(ctx context.Context, c *hubsync.Client, res *Result) (*hubsync.Offer, error) {
	for {
		en, err := ln.l.Enrollment(ctx)
		if err != nil {
			return nil, err
		}
		p, err := c.Pull(ctx, hubsync.Pull{Terminal: c.Terminal, Since: en.RegistryVersion})
		if err != nil {
			return nil, err
		}
		if err := ln.l.ApplyPull(ctx, p); err != nil {
			return nil, err
		}
		res.Pulled += rows(p)
		if !p.More {
			return p.Offer, nil
		}
		if p.Version <= en.RegistryVersion {
			return nil, fmt.Errorf("the hub said more but moved no version past %d: %w", en.RegistryVersion, hubsync.ErrHub)
		}
	}
}

func rows(p hubsync.PullResult) int {
	return len(p.People) + len(p.Cards) + len(p.Aliases) + len(p.Activities) + len(p.Items) + len(p.Stock) + len(p.Staff) + len(p.Balances)
}

func encode(es []record.Entry) ([][]byte, error) {
	out := make([][]byte, len(es))
	for i := range es {
		b, err := es[i].Encode()
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", es[i].Seq, err)
		}
		out[i] = b
	}
	return out, nil
}
