package hub_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hub/sqlitestore"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

func TestPushStoresEachEntryOnce(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("T1", "A")
	for range 5 {
		k.Earn(1, "04A1B2C3", 1, 60, 10)
	}
	batch := k.Push()
	res := e.pushOK(k)
	if res.Acked.Seq != 10 || !res.HubTime.Equal(e.clk.Now()) {
		t.Errorf("answer %+v", res)
	}
	// The same batch again (its answer was lost) stores nothing twice.
	again, err := e.hub.Push(ctx, k.Meta(), batch)
	if err != nil || again.Refused != "" || again.Acked != res.Acked {
		t.Fatalf("the same batch again: %+v, %v", again, err)
	}
	if n := len(e.stored("T1")); n != 10 {
		t.Errorf("%d entries stored, want 10", n)
	}
	if b := e.balance(1); b.Points != 50 || b.Minutes != 300 {
		t.Errorf("balance %+v, want 50 points 300 minutes", b)
	}
	// The next push carries only what is new.
	k.Redeem(1, "04A1B2C3", 9, 1, 20)
	next := k.Push()
	if len(next.Entries) != 1 {
		t.Fatalf("next push carries %d entries", len(next.Entries))
	}
	e.pushOK(k)
	if b := e.balance(1); b.Points != 30 {
		t.Errorf("balance %d after a redemption, want 30", b.Points)
	}
	if row := e.kioskRow("T1"); row.Anchor != k.Head() || row.Head != k.Head() || !row.LastSync.Equal(e.clk.Now()) || row.Version != "test" {
		t.Errorf("kiosk row %+v", row)
	}
}

func TestConcurrentIdenticalPushesStoreOnce(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("T1", "A")
	for range 50 {
		k.Earn(1, "04A1B2C3", 1, 30, 5)
	}
	batch := k.Push()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := e.hub.Push(ctx, k.Meta(), batch)
			if err == nil && (res.Refused != "" || res.Acked != k.Head()) {
				err = errors.New("answer " + res.Refused)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := len(e.stored("T1")); n != 100 {
		t.Errorf("%d entries stored, want 100", n)
	}
	if b := e.balance(1); b.Points != 250 {
		t.Errorf("balance %d, want 250: a concurrent push counted twice", b.Points)
	}
}

func TestPushRefusesAGap(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("T1", "A")
	k.Earn(1, "04A1B2C3", 1, 60, 10)
	k.Earn(1, "04A1B2C3", 1, 60, 10)
	p := k.Push()
	p.Entries = append(p.Entries[:1], p.Entries[2:]...) // seq 2 missing
	res, err := e.hub.Push(ctx, k.Meta(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Refused, "gap:") || res.Fork || res.Acked.Seq != 0 {
		t.Errorf("answer %+v, want a gap refused", res)
	}
	if n := len(e.stored("T1")); n != 0 {
		t.Errorf("%d entries of a refused batch stored", n)
	}
	if e.balance(1).Points != 0 {
		t.Error("a refused batch moved a balance")
	}
	fl := e.flags(hub.FlagChain)
	if len(fl) != 1 || fl[0].Subject != "T1" || !strings.Contains(fl[0].Detail, "gap") {
		t.Errorf("flags %+v", fl)
	}
	if row := e.kioskRow("T1"); row.Refusal != res.Refused {
		t.Errorf("refusal kept %q", row.Refusal)
	}
	// The whole batch goes through afterwards, and the refusal is cleared.
	e.pushOK(k)
	if row := e.kioskRow("T1"); row.Refusal != "" {
		t.Errorf("refusal %q after a good push", row.Refusal)
	}
}

func TestPushRefusesABrokenChain(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("T1", "A")
	k.Earn(1, "04A1B2C3", 1, 60, 10)
	p := k.Push()
	// An edited entry re-encoded: its hash changes, so the next entry's
	// Prev no longer names it.
	ed, err := record.DecodeEntry(p.Entries[0])
	if err != nil {
		t.Fatal(err)
	}
	ed.Person = 2
	if p.Entries[0], err = ed.Encode(); err != nil {
		t.Fatal(err)
	}
	res, err := e.hub.Push(ctx, k.Meta(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Refused, "broken chain:") || !strings.Contains(res.Refused, "seq 2") {
		t.Errorf("refused %q, want a broken chain at seq 2", res.Refused)
	}
	if len(e.stored("T1")) != 0 || len(e.flags(hub.FlagChain)) != 1 {
		t.Error("a broken chain was stored or not flagged")
	}
}

func TestPushRefusesAnotherTerminalsEntries(t *testing.T) {
	e := newEnv(t)
	a := e.kiosk("TA", "A")
	b := e.kiosk("TB", "B")
	b.Earn(1, "04A1B2C3", 1, 60, 10)
	p := a.Push()
	p.Entries = b.Push().Entries
	p.Head = b.Head()
	res, err := e.hub.Push(ctx, a.Meta(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Refused, "terminal TB's") {
		t.Errorf("refused %q", res.Refused)
	}
	if len(e.stored("TA"))+len(e.stored("TB")) != 0 || e.balance(1).Points != 0 {
		t.Error("another terminal's entries were stored")
	}
	// A push naming another terminal than its signer is malformed.
	p = b.Push()
	if _, err := e.hub.Push(ctx, a.Meta(), p); !errors.Is(err, hubsync.ErrMalformed) {
		t.Errorf("push for TB signed by TA: %v", err)
	}
}

func TestPushRefusesMalformedEntries(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("T1", "A")
	k.Earn(1, "04A1B2C3", 1, 60, 10)
	p := k.Push()
	p.Entries[1] = p.Entries[1][:20]
	if _, err := e.hub.Push(ctx, k.Meta(), p); !errors.Is(err, hubsync.ErrMalformed) {
		t.Errorf("a truncated entry: %v", err)
	}
	p = k.Push()
	p.Head = record.Head{Seq: 1}
	if _, err := e.hub.Push(ctx, k.Meta(), p); !errors.Is(err, hubsync.ErrMalformed) {
		t.Errorf("entries past the head: %v", err)
	}
	if len(e.stored("T1")) != 0 {
		t.Error("a malformed push stored entries")
	}
}

func TestPushRefusesARolledBackLedger(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("T1", "A")
	for range 5 {
		k.Earn(1, "04A1B2C3", 1, 60, 10) // seq 1..10
	}
	e.pushOK(k)
	// The WAL deleted: five acknowledged entries gone, and the next taps
	// reuse their sequence numbers.
	k.Truncate(5)
	k.Earn(1, "04A1B2C3", 1, 60, 99)
	res := e.push(k)
	if !res.Fork || !strings.HasPrefix(res.Refused, "fork:") || res.Acked.Seq != 10 {
		t.Errorf("answer %+v, want a fork with the hub's head 10", res)
	}
	if e.balance(1).Points != 50 {
		t.Error("the rolled-back ledger's entries were counted")
	}
	if row := e.kioskRow("T1"); !row.Fork {
		t.Error("the kiosk is not marked forked")
	}
	if fl := e.flags(hub.FlagFork); len(fl) != 1 || fl[0].Subject != "T1" {
		t.Errorf("fork flags %+v", fl)
	}
}

func TestPushRefusesARewrittenLedger(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("T1", "A")
	for range 3 {
		k.Earn(1, "04A1B2C3", 1, 60, 10)
	}
	e.pushOK(k)
	// The same terminal's ledger rewritten with the same key: the chain
	// holds in itself, re-hashed, but its entries differ from the hub's.
	forged := hubtest.NewKiosk("T1", "A", e.clk.Now)
	forged.Key = k.Key
	for range 4 {
		forged.Earn(1, "04A1B2C3", 1, 60, 100)
	}
	p := forged.Push()
	res, err := e.hub.Push(ctx, forged.Meta(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Fork || !strings.Contains(res.Refused, "differs") {
		t.Errorf("answer %+v, want a fork", res)
	}
	// Saying it holds the hub's head, but with another hash.
	p = forged.Push()
	p.Acked, p.Entries = record.Head{Seq: 6, Hash: forged.Entries()[5].Hash}, p.Entries[6:]
	if res, _ := e.hub.Push(ctx, forged.Meta(), p); !res.Fork {
		t.Errorf("a forged acknowledged head: %+v", res)
	}
	if e.balance(1).Points != 30 || len(e.stored("T1")) != 6 {
		t.Error("a rewritten ledger's entries were stored")
	}
}

func TestPushAnswersWhatTheHubHoldsWhenTheKioskIsAhead(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("T1", "A")
	k.Earn(1, "04A1B2C3", 1, 60, 10)
	p := k.Push()
	p.Acked, p.Entries = k.Head(), nil // it believes everything acknowledged
	res, err := e.hub.Push(ctx, k.Meta(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Refused, "gap:") || res.Acked.Seq != 0 || res.Fork {
		t.Errorf("answer %+v", res)
	}
}

func TestPushCorrectsUntrustedTimes(t *testing.T) {
	e := newEnv(t)
	// A Pi that booted without network: its clock reads 1970.
	epoch := time.Date(1970, 1, 1, 0, 5, 0, 0, time.UTC)
	offset := e.clk.Now().Sub(epoch)
	k := hubtest.NewKiosk("T1", "A", func() time.Time { return e.clk.Now().Add(-offset) })
	k.Trusted = false
	e.enroll(k, "A")
	ci := k.CheckIn(1, "04A1B2C3", 1)
	e.clk.Advance(time.Hour)
	co := k.CheckOut(ci, 60, 10)
	e.clk.Advance(10 * time.Minute)
	e.pushOK(k)
	got := e.stored("T1")
	if len(got) != 2 {
		t.Fatalf("%d stored", len(got))
	}
	if !got[0].At.Equal(ci.At) || !got[1].At.Equal(co.At) {
		t.Error("the raw time was not kept")
	}
	for i, want := range []time.Time{hubtest.Start, hubtest.Start.Add(time.Hour)} {
		if !got[i].Corrected.Equal(want) {
			t.Errorf("seq %d corrected to %v, want %v (raw %v)", got[i].Seq, got[i].Corrected, want, got[i].At)
		}
	}
	if row := e.kioskRow("T1"); row.ClockOffset != offset {
		t.Errorf("clock offset %v, want %v", row.ClockOffset, offset)
	}
	// A trusted entry keeps its own time.
	k.Trusted = true
	k.Clock = e.clk.Now
	k.Earn(1, "04A1B2C3", 1, 60, 10)
	e.pushOK(k)
	if got := e.stored("T1"); !got[2].Corrected.IsZero() || !got[2].HubTime().Equal(got[2].At) {
		t.Errorf("a trusted entry was corrected: %+v", got[2].Corrected)
	}
	// An NTP server that is a year wrong: the kiosk's entries say trusted,
	// the hub refused its trusted requests, and it now syncs untrusted. Its
	// "trusted" entries are a year off: corrected too.
	year := 365 * 24 * time.Hour
	k.Clock = func() time.Time { return e.clk.Now().Add(year) }
	ahead := k.Earn(1, "04A1B2C3", 1, 60, 10)
	k.Trusted = false
	e.pushOK(k)
	got = e.stored("T1")
	if last := got[len(got)-1]; last.Seq != ahead.Seq || !last.Corrected.Equal(ahead.At.Add(-year)) {
		t.Errorf("a trusted entry a year ahead (seq %d) corrected to %v, want %v", last.Seq, last.Corrected, ahead.At.Add(-year))
	}
}

func TestPushBringsTheKiosksPeople(t *testing.T) {
	e := newEnv(t)
	p := e.person("HPL0001", "王堃", "04A1B2C3")
	k := e.kiosk("T1", "A")
	// The kiosk holds the same person under its own id (a center that
	// started alone), a person the hub does not know, and a walk-in.
	k.AddChange(&hubsync.Person{ID: 1001, MemberNo: "hpl0001", Name: "王堃", Kind: record.GreenVest}, nil)
	k.AddChange(&hubsync.Person{ID: 1002, MemberNo: "HPL0099", Name: "李喆", Kind: record.RedVest, Phone: "13810230002"},
		&hubsync.Card{UID: "0A0B0C0D", Person: 1002, State: hubsync.CardActive})
	k.AddChange(&hubsync.Person{ID: 1003, MemberNo: "W-7F3A", Provisional: true, Kind: record.Resident}, nil)
	k.Earn(1001, "04A1B2C3", 1, 60, 10)
	k.Earn(1002, "0A0B0C0D", 1, 60, 7)
	res := e.pushOK(k)
	if res.ChangesAcked != 3 {
		t.Errorf("changes acked %d", res.ChangesAcked)
	}
	if b := e.balance(p.ID); b.Points != 10 {
		t.Errorf("the district person's balance %d: the kiosk's same member number was not aliased", b.Points)
	}
	if got, err := e.hub.FindPerson(ctx, "HPL0099"); err != nil || got.ID != 1002 || got.Phone != "138****0002" || got.ChangedBy != "T1" {
		t.Errorf("new person %+v, %v", got, err)
	}
	if e.balance(1002).Points != 7 {
		t.Error("a new person's entries were not counted")
	}
	fl := e.flags(hub.FlagWalkIn)
	if len(fl) != 1 || fl[0].Subject != "1003" || !strings.Contains(fl[0].Detail, "W-7F3A") {
		t.Errorf("walk-in flags %+v", fl)
	}
	pull := e.pull(k, 0)
	var aliased bool
	for _, a := range pull.Aliases {
		aliased = aliased || (a.From == 1001 && a.To == p.ID)
	}
	if !aliased {
		t.Errorf("aliases %+v", pull.Aliases)
	}
	// The outbox again (answer lost) is applied once.
	k.AddChange(&hubsync.Person{ID: 1002, MemberNo: "HPL0099", Name: "李喆喆", Kind: record.RedVest}, nil)
	e.pushOK(k)
	if got, _ := e.hub.FindPerson(ctx, "HPL0099"); got.Name != "李喆喆" {
		t.Errorf("a renamed person is %q", got.Name)
	}
}

func TestKioskChangeLosesToANewerHubChange(t *testing.T) {
	e := newEnv(t)
	p := e.person("HPL0001", "王堃", "04A1B2C3")
	k := e.kiosk("T1", "A")
	pull := e.pull(k, 0)
	if _, err := e.hub.BlockCard(ctx, "04A1B2C3"); err != nil {
		t.Fatal(err)
	}
	// The kiosk, not having pulled the block, binds the card again: the
	// hub's block stands.
	k.AddChange(nil, &hubsync.Card{UID: "04A1B2C3", Person: p.ID, State: hubsync.CardActive})
	e.pushOK(k)
	after := e.pull(k, pull.Version)
	if len(after.Cards) != 1 || after.Cards[0].State != hubsync.CardRevoked {
		t.Errorf("cards %+v, want the block kept", after.Cards)
	}
	if fl := e.flags(hub.FlagConflict); len(fl) != 1 || fl[0].Subject != "04A1B2C3" {
		t.Errorf("conflict flags %+v", fl)
	}
	// A block from a kiosk always applies.
	q := e.person("HPL0002", "李喆", "0A0B0C0D")
	k.AddChange(nil, &hubsync.Card{UID: "0A0B0C0D", Person: q.ID, State: hubsync.CardLost})
	e.pushOK(k)
	last := e.pull(k, after.Version)
	if len(last.Cards) != 1 || last.Cards[0].State != hubsync.CardLost {
		t.Errorf("cards %+v, want the kiosk's report of a lost card", last.Cards)
	}
}

// ingestCounts is an Observer that sums what it hears per terminal and
// center.
type ingestCounts struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *ingestCounts) Ingested(terminal, center string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[terminal+"@"+center] += n
}

func (c *ingestCounts) get(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[key]
}

// TestPushTellsItsObserverWhatItStored: the entries stored new, once,
// never those the hub held already or a refused push's.
func TestPushTellsItsObserverWhatItStored(t *testing.T) {
	e := newEnv(t)
	seen := &ingestCounts{n: map[string]int{}}
	e.hub.Observe(seen)
	k := e.kiosk("T1", "B")
	for range 3 {
		k.Earn(1, "04A1B2C3", 1, 60, 10)
	}
	batch := k.Push()
	e.pushOK(k)
	if got := seen.get("T1@B"); got != 6 {
		t.Fatalf("after a push of 6 new entries the observer heard %d", got)
	}
	// The same batch again stores nothing.
	if _, err := e.hub.Push(ctx, k.Meta(), batch); err != nil {
		t.Fatal(err)
	}
	// A batch of old and new entries: only the new ones.
	k.Earn(1, "04A1B2C3", 1, 60, 10)
	both := k.Push()
	both.Acked = batch.Acked
	both.Entries = append(append(both.Entries[:0:0], batch.Entries...), k.Push().Entries...)
	if res, err := e.hub.Push(ctx, k.Meta(), both); err != nil || res.Refused != "" {
		t.Fatalf("a push of held and new entries: %+v, %v", res, err)
	}
	if got := seen.get("T1@B"); got != 8 {
		t.Errorf("after held entries again and 2 new the observer heard %d, want 8", got)
	}
	// Another terminal's entries, refused: nothing.
	other := e.kiosk("T2", "A")
	stolen := other.Push()
	k.Earn(1, "04A1B2C3", 1, 60, 10)
	stolen.Entries, stolen.Head = k.Push().Entries, k.Head()
	if res, err := e.hub.Push(ctx, other.Meta(), stolen); err != nil || res.Refused == "" {
		t.Fatalf("another terminal's entries: %+v, %v", res, err)
	}
	if got := seen.get("T2@A"); got != 0 {
		t.Errorf("a refused push was heard as %d entries", got)
	}
	e.hub.Observe(nil)
	e.pushOK(k)
	if got := seen.get("T1@B"); got != 8 {
		t.Errorf("an observer stopped still heard: %d", got)
	}
}

// rerunStore is a store that runs an Update's fn twice, as a server store
// does after a serialization failure: the first run rolled back, then
// between (another hub process's Update committing), then fn again.
type rerunStore struct {
	hub.Store
	between func() // taken by the next Update
}

var errRerun = errors.New("run again")

func (s *rerunStore) Update(ctx context.Context, fn func(hub.Tx) error) error {
	between := s.between
	s.between = nil
	if between == nil {
		return s.Store.Update(ctx, fn)
	}
	if err := s.Store.Update(ctx, func(tx hub.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errRerun
	}); !errors.Is(err, errRerun) {
		return err
	}
	between()
	return s.Store.Update(ctx, fn)
}

// TestPushRunAgainDecidesAfresh: a push whose first run saw the kiosk
// before another hub process stored its batch, and ran again after, is
// answered from what the second run reads — not refused for a gap the
// first run saw (fn must have no effect outside its transaction).
func TestPushRunAgainDecidesAfresh(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlitestore.Open(ctx, dir, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rs := &rerunStore{Store: st}
	clk := clock.NewFake(hubtest.Start)
	h, err := hub.Open(ctx, dir, hub.Options{Store: rs, Clock: clk, PIN: cheapPIN, Password: cheapPIN, URL: "https://hub.test",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	if err := h.AddCenter(ctx, "A", "和平里党群服务中心"); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, clk: clk, store: st, hub: h}
	k := e.kiosk("T1", "A")
	k.Earn(1, "04A1B2C3", 1, 60, 10)
	m1, batch := k.Meta(), k.Push()
	// The kiosk's next push, once the batch is acknowledged: its head, no
	// entries.
	report := batch
	report.Acked, report.Entries = k.Head(), nil
	rs.between = func() {
		res, err := h.Push(ctx, m1, batch)
		if err != nil || res.Refused != "" {
			t.Errorf("the batch: %+v, %v", res, err)
		}
	}
	res, err := h.Push(ctx, k.Meta(), report)
	if err != nil {
		t.Fatal(err)
	}
	if res.Refused != "" || res.Acked != k.Head() {
		t.Errorf("the report run again after the batch was stored: %+v", res)
	}
	if fl := e.flags(hub.FlagChain); len(fl) != 0 {
		t.Errorf("flags %+v", fl)
	}
}
