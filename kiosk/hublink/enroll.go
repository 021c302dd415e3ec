package hublink

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// Enroll registers the kiosk of ledger l (in dir) with the hub at url with
// a one-time token: it makes the kiosk's key (KeyFile) when there is none,
// sends its public key, its center and its chain head, and stores what the
// hub answers (its key, its address, the policy, its clock) in the ledger,
// which is enrolled from then on. A used, expired or unknown token is
// refused (hubsync.ErrToken) and the ledger is left as it was.
func Enroll(ctx context.Context, dir string, l *ledger.Ledger, url, token string, opts Options) (hubsync.Enrolled, error) {
	opts = opts.withDefaults()
	if url == "" {
		return hubsync.Enrolled{}, errors.New("enroll: no hub address")
	}
	key, err := MakeKey(dir)
	if err != nil {
		return hubsync.Enrolled{}, err
	}
	head, err := l.Head(ctx)
	if err != nil {
		return hubsync.Enrolled{}, err
	}
	term := l.Terminal()
	c := &hubsync.Client{BaseURL: url, Terminal: term.ID, Key: key, HTTP: opts.HTTP,
		Counter: l.NextCounter, Clock: opts.Clock, Trusted: opts.Sync.Synced}
	req := hubsync.Enroll{Token: token, Center: term.Center, CenterName: term.CenterName, Head: head, Version: opts.Version}
	en, err := c.Enroll(ctx, req)
	if errors.Is(err, hubsync.ErrClock) && c.Trusted() {
		// NTP says synced, the hub says the clock is far off: a wrong NTP
		// server. Enrolled with the clock untrusted, the hub corrects the
		// times; the token was not used by the refused request.
		opts.Log.Warn("the hub says this kiosk's clock is far from its own though NTP says it is synced; enrolling with the clock untrusted", "err", err)
		c.Trusted = func() bool { return false }
		en, err = c.Enroll(ctx, req)
	}
	if err != nil {
		return en, err
	}
	if en.HubURL == "" {
		en.HubURL = url
	}
	if err := l.Enroll(ctx, en); err != nil {
		return en, err
	}
	opts.Log.Info("enrolled", "hub", en.HubURL, "center", en.Center, "hub_key", hubsync.Fingerprint(en.HubKey))
	return en, nil
}

// Restore rebuilds a terminal's ledger in dir (which must hold none: a new
// SD card) from its hub, with a restore token a district administrator
// made (hubd kiosk restore-token): it enrolls the card's key as the old
// terminal's, fetches the terminal's entries page by page and a full pull,
// checks the chain and every hub signature, and writes the ledger in one
// transaction (ledger.RestoreFromHub). The restored kiosk continues its own
// chain. An interrupted restore leaves no ledger and can be run again with
// the same token until it expires.
func Restore(ctx context.Context, dir, url, terminal, token string, lopts ledger.Options, opts Options) (*ledger.Ledger, error) {
	opts = opts.withDefaults()
	if url == "" {
		return nil, errors.New("restore: no hub address")
	}
	if !hubsync.ValidTerminal(terminal) {
		return nil, fmt.Errorf("restore: terminal %q: not a terminal id", terminal)
	}
	key, err := MakeKey(dir)
	if err != nil {
		return nil, err
	}
	// No ledger holds the counter yet: it counts in memory, and the hub
	// starts this card's count at its enrollment.
	var n atomic.Uint64
	c := &hubsync.Client{BaseURL: url, Terminal: terminal, Key: key, HTTP: opts.HTTP, Clock: opts.Clock, Trusted: opts.Sync.Synced,
		Counter: func(context.Context) (uint64, error) { return n.Add(1), nil }}
	en, err := c.Enroll(ctx, hubsync.Enroll{Token: token, Version: opts.Version})
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	if en.HubURL == "" {
		en.HubURL = url
	}
	c.HubKey = en.HubKey
	var all hubsync.Restored
	var after uint64
	for {
		r, err := c.Restore(ctx, hubsync.Restore{Token: token, Terminal: terminal, After: after})
		if err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		all.Entries = append(all.Entries, r.Entries...)
		if !r.More {
			all.ChangesAcked, all.Pull, all.Counter = r.ChangesAcked, r.Pull, r.Counter
			break
		}
		if len(r.Entries) == 0 {
			return nil, fmt.Errorf("restore: the hub said more but sent no entries: %w", hubsync.ErrHub)
		}
		last, err := record.DecodeEntry(r.Entries[len(r.Entries)-1])
		if err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		if last.Seq <= after {
			return nil, fmt.Errorf("restore: the hub sent entry %d after %d: %w", last.Seq, after, hubsync.ErrHub)
		}
		after = last.Seq
	}
	if all.Counter < n.Load() {
		all.Counter = n.Load()
	}
	l, err := ledger.RestoreFromHub(ctx, dir, en, all, lopts)
	if err != nil {
		return nil, err
	}
	opts.Log.Info("restored from the hub", "terminal", terminal, "entries", len(all.Entries))
	if all.Pull.More {
		// The rest of the registry comes as a sync's pull would; what does
		// not come now comes with the next sync.
		ln := New(l, key, opts)
		le, err := l.Enrollment(ctx)
		var res Result
		if err == nil {
			_, err = ln.pull(ctx, ln.client(le), &res)
		}
		if err != nil {
			opts.Log.Warn("restored; the rest of the registry comes with the next sync", "err", err)
		}
	}
	return l, nil
}
