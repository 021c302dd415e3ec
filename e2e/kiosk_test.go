package e2e_test

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/kiosk/hublink"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// cheapPIN makes the kiosks' staff PINs fast to hash.
var cheapPIN = ledger.PINParams{Time: 1, MemoryKiB: 64, Threads: 1}

// kiosk is a real kiosk ledger in its own data directory, enrolled with a
// hub and synced through hublink in-process.
type kiosk struct {
	t      testing.TB
	name   string
	dir    string
	center string
	l      *ledger.Ledger
	clk    clock.Clock
	synced *clock.FakeSync
	opts   ledger.Options
	key    ed25519.PrivateKey
	link   *hublink.Link
	http   *http.Client
	url    string // the hub's address this kiosk uses ("" the enrolled one)
	staff  record.CardUID
	// fleet, when set, adds fleet updates' options to the link's.
	fleet  func(*hublink.Options)
	n      atomic.Uint32 // member numbers and card UIDs made here
	prefix uint32        // this kiosk's range of card UIDs
}

var kioskPrefix atomic.Uint32

// kioskOpts say how a new kiosk's clock reads.
type kioskOpts struct {
	clk    clock.Clock // nil: the system clock
	synced bool        // whether the clock says it is NTP-synced
	http   *http.Client
}

// newKiosk creates a kiosk ledger of center, with a staff card.
func newKiosk(t testing.TB, name, center string, o kioskOpts) *kiosk {
	t.Helper()
	if o.clk == nil {
		o.clk = clock.Real{}
	}
	k := &kiosk{t: t, name: name, dir: t.TempDir(), center: center, clk: o.clk, synced: clock.NewFakeSync(o.synced), http: o.http,
		prefix: kioskPrefix.Add(1)}
	k.opts = ledger.Options{Clock: k.clk, Sync: k.synced, BootID: clock.FixedBootID("boot-" + name), PIN: cheapPIN}
	l, err := ledger.Create(ctx, k.dir, ledger.Terminal{Center: center, CenterName: center + "党群服务中心"}, k.opts)
	if err != nil {
		t.Fatalf("kiosk %s: create ledger: %v", name, err)
	}
	k.l = l
	t.Cleanup(func() {
		if k.l != nil {
			k.l.Close()
		}
	})
	k.staff = k.uid()
	if _, err := l.AddStaff(ctx, ledger.AddStaff{ID: record.NewEntryID(), UID: k.staff, Name: "值班员" + name, Role: ledger.RoleStaff, PIN: "2468"}); err != nil {
		t.Fatalf("kiosk %s: add staff: %v", name, err)
	}
	return k
}

// uid is a card UID no other kiosk of the run makes.
func (k *kiosk) uid() record.CardUID {
	return record.CardUID(fmt.Sprintf("%02X%06X", 0x10+k.prefix, k.n.Add(1)))
}

func (k *kiosk) hubOpts() hublink.Options {
	o := hublink.Options{Clock: k.clk, Sync: k.synced, HTTP: k.http, URL: k.url, Version: "e2e", Log: discard}
	if k.fleet != nil {
		k.fleet(&o)
	}
	return o
}

// enroll enrolls the kiosk at url with token.
func (k *kiosk) enroll(url, token string) error {
	if _, err := hublink.Enroll(ctx, k.dir, k.l, url, token, k.hubOpts()); err != nil {
		return err
	}
	return k.relink()
}

func (k *kiosk) mustEnroll(url, token string) {
	k.t.Helper()
	if err := k.enroll(url, token); err != nil {
		k.t.Fatalf("kiosk %s: enroll: %v", k.name, err)
	}
}

// relink makes a new Link for the ledger as it is now (after a reopen).
func (k *kiosk) relink() error {
	key, err := hublink.LoadKey(k.dir)
	if err != nil {
		return err
	}
	k.key = key
	k.link = hublink.New(k.l, key, k.hubOpts())
	return nil
}

// tryReopen closes the ledger and opens it from disk, as a restarted
// kiosk.
func (k *kiosk) tryReopen() error {
	if err := k.l.Close(); err != nil {
		return fmt.Errorf("kiosk %s: close: %w", k.name, err)
	}
	k.l = nil
	l, err := ledger.Open(ctx, k.dir, k.opts)
	if err != nil {
		return fmt.Errorf("kiosk %s: reopen: %w", k.name, err)
	}
	k.l = l
	return k.relink()
}

func (k *kiosk) sync() (hublink.Result, error) {
	return k.link.Sync(ctx)
}

func (k *kiosk) mustSync() hublink.Result {
	k.t.Helper()
	res, err := k.link.Sync(ctx)
	if err != nil {
		k.t.Fatalf("kiosk %s: sync: %v", k.name, err)
	}
	return res
}

// person enrols a person (a walk-in when name is "") with a new card.
func (k *kiosk) person(name string) (ledger.Person, record.CardUID) {
	k.t.Helper()
	p, card, err := k.tryPerson(name)
	if err != nil {
		k.t.Fatalf("kiosk %s: %v", k.name, err)
	}
	return p, card
}

func (k *kiosk) tryPerson(name string) (ledger.Person, record.CardUID, error) {
	req := ledger.EnrolPerson{ID: record.NewEntryID(), Name: name, Kind: record.GreenVest, Community: "和平里社区"}
	if name == "" {
		req.Provisional = true
	} else {
		req.MemberNo = fmt.Sprintf("%s-%04d", k.name, k.n.Add(1))
	}
	p, err := k.l.EnrolPerson(ctx, req)
	if err != nil {
		return p, "", fmt.Errorf("enrol %q: %w", name, err)
	}
	card := k.uid()
	if _, err := k.l.BindCard(ctx, ledger.BindCard{ID: record.NewEntryID(), Person: p.ID, UID: card, Operator: k.staff}); err != nil {
		return p, "", fmt.Errorf("bind card: %w", err)
	}
	return p, card, nil
}

// credit gives p points by a staff adjustment.
func (k *kiosk) credit(p record.PersonID, points int64) {
	k.t.Helper()
	if err := k.tryCredit(p, points); err != nil {
		k.t.Fatal(err)
	}
}

func (k *kiosk) tryCredit(p record.PersonID, points int64) error {
	if _, err := k.l.Adjust(ctx, ledger.Adjust{ID: record.NewEntryID(), Person: p, Points: points, Reason: "e2e", Operator: k.staff}); err != nil {
		return fmt.Errorf("kiosk %s: credit %d: %w", k.name, points, err)
	}
	return nil
}

// item is the catalog item of name, as this kiosk has it from the hub.
func (k *kiosk) item(name string) ledger.Offer {
	k.t.Helper()
	offers, err := k.l.Catalog(ctx)
	if err != nil {
		k.t.Fatal(err)
	}
	for _, o := range offers {
		if o.Item.Name == name {
			return o
		}
	}
	k.t.Fatalf("kiosk %s: no item %q in its catalog (%d items)", k.name, name, len(offers))
	return ledger.Offer{}
}

func (k *kiosk) redeem(card record.CardUID, item record.ItemID) (ledger.Redemption, error) {
	return k.l.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: card, Item: item})
}

func (k *kiosk) balance(p record.PersonID) ledger.Balance {
	k.t.Helper()
	b, err := k.l.Balance(ctx, p)
	if err != nil {
		k.t.Fatalf("kiosk %s: balance of %d: %v", k.name, p, err)
	}
	return b
}

func (k *kiosk) head() record.Head {
	k.t.Helper()
	h, err := k.l.Head(ctx)
	if err != nil {
		k.t.Fatal(err)
	}
	return h
}

func (k *kiosk) entries() []record.Entry {
	k.t.Helper()
	es, err := k.l.EntriesAfter(ctx, 0, 1<<30)
	if err != nil {
		k.t.Fatal(err)
	}
	return es
}

func (k *kiosk) mustVerify() {
	k.t.Helper()
	rep, err := k.l.Verify(ctx)
	if err != nil {
		k.t.Fatalf("kiosk %s: verify: %v", k.name, err)
	}
	if !rep.OK() {
		k.t.Fatalf("kiosk %s: verify found problems: %v", k.name, rep.Problems)
	}
}

// liveClock is the system clock shifted by an offset the test moves, so a
// kiosk can check in two hours ago and check out now while its requests
// stay within the hub's window.
type liveClock struct{ off atomic.Int64 }

func (c *liveClock) Now() time.Time                         { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *liveClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
func (c *liveClock) shift(d time.Duration)                  { c.off.Store(int64(d)) }

// isAny reports whether err is one of targets.
func isAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}
