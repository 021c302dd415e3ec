package ledger_test

// The crash test: a child process taps against a data directory and prints
// each entry id once the ledger has acknowledged it; the parent kills the
// child with SIGKILL at random moments, reopens the ledger, and checks that
// it verifies and holds every acknowledged entry. Nothing a kiosk showed as
// "done" may be lost, and no kill may leave the ledger unreadable.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

var crashKills = flag.Int("crash.kills", 200, "crash test: how many times to SIGKILL the tapping child (env HONGMAJIA_CRASH_KILLS too)")

// crashChildDir, in the environment, makes TestCrashChild the tapping child
// working on that data directory.
const crashChildDir = "HONGMAJIA_CRASH_CHILD"

// crashSetup is what the parent made and the child taps with.
type crashSetup struct {
	Cards    []record.CardUID
	Activity record.ActivityID
	Item     record.ItemID
	Seed     uint64
}

func crashOptions(c clock.Clock) ledger.Options {
	return ledger.Options{Clock: c, Sync: clock.NewFakeSync(true), BootID: clock.FixedBootID("crash"), PIN: ledgertest.CheapPIN}
}

func TestCrashKeepsAcknowledgedEntries(t *testing.T) {
	kills := *crashKills
	if s := os.Getenv("HONGMAJIA_CRASH_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("HONGMAJIA_CRASH_KILLS=%q: %v", s, err)
		}
		kills = n
	}
	// Two data directories side by side, one child each: the machine waits
	// on fsync and on process start more than it computes.
	const workers = 2
	var (
		mu    sync.Mutex
		total crashStats
	)
	start := time.Now()
	t.Run("workers", func(t *testing.T) {
		for w := range workers {
			n := kills / workers
			if w < kills%workers {
				n++
			}
			t.Run(fmt.Sprintf("dir%d", w), func(t *testing.T) {
				t.Parallel()
				st := crashDataDir(t, n)
				mu.Lock()
				total.add(st)
				mu.Unlock()
			})
		}
	})
	if t.Failed() {
		return
	}
	if total.acked < total.promised {
		t.Fatalf("%d acknowledged entries, the rounds waited for at least %d", total.acked, total.promised)
	}
	t.Logf("%d SIGKILLs (%d while opening, %d after 1-2 acknowledged taps, the rest 0-30 ms after ready): %d acknowledged entries all present, %d entries in the ledgers, %v",
		total.kills, total.opening, total.afterTaps, total.acked, total.entries, time.Since(start).Round(time.Millisecond))
}

// crashStats count what a crash run did.
type crashStats struct {
	kills, opening, afterTaps, promised, acked int
	entries                                    uint64
}

func (s *crashStats) add(o crashStats) {
	s.kills += o.kills
	s.opening += o.opening
	s.afterTaps += o.afterTaps
	s.promised += o.promised
	s.acked += o.acked
	s.entries += o.entries
}

// crashDataDir makes a ledger and kills a child tapping on it kills times.
func crashDataDir(t *testing.T, kills int) crashStats {
	ctx := context.Background()
	e := ledgertest.MustOpen(t)
	setup := crashSetup{Activity: e.AnyTime(t).ID, Item: e.AddItem(t, "毛巾", 3, 1_000_000).ID, Seed: rand.Uint64()}
	if err := e.SetPolicy(ctx, record.Policy{}); err != nil { // no offline cap: the child redeems a lot
		t.Fatal(err)
	}
	for i := range 12 {
		p, uid := e.AddPerson(t, fmt.Sprintf("志愿者%02d", i), record.VolunteerKind(i%4+1))
		e.Credit(t, p.ID, 1_000_000)
		setup.Cards = append(setup.Cards, uid)
	}
	b, _ := json.Marshal(setup)
	if err := os.WriteFile(filepath.Join(e.Dir, "crash.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(setup.Seed, 1))
	acked := map[record.EntryID]record.Kind{}
	st := crashStats{kills: kills}
	for round := range kills {
		// One kill in eight lands while the child may still be opening the
		// ledger (integrity check, WAL recovery); one in four after a tap or
		// two were acknowledged, however slow the machine (-race is); the
		// others 0-30 ms after the child is ready.
		var when crashMoment
		switch r := rng.IntN(16); {
		case r < 2:
			when.early = true
			st.opening++
		case r < 6:
			when.afterAcks = 1 + rng.IntN(2)
			st.afterTaps++
			st.promised += when.afterAcks
		}
		when.delay = time.Duration(rng.IntN(31)) * time.Millisecond
		fresh := crashRound(t, e.Dir, when)
		if len(fresh) < when.afterAcks {
			t.Fatalf("round %d: %d acknowledged, waited for %d", round, len(fresh), when.afterAcks)
		}
		l, err := ledger.Open(ctx, e.Dir, crashOptions(clock.Real{}))
		if err != nil {
			t.Fatalf("round %d (kill %+v): reopen: %v", round, when, err)
		}
		rep, err := l.Verify(ctx)
		if err != nil || !rep.OK() {
			l.Close()
			t.Fatalf("round %d: verify after SIGKILL: %v %v", round, err, rep.Problems)
		}
		for id, kind := range fresh {
			acked[id] = kind
			got, err := l.Entry(ctx, id)
			if err != nil || got.Kind != kind {
				l.Close()
				t.Fatalf("round %d: acknowledged %v entry %s lost after SIGKILL: %+v %v", round, kind, id, got, err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}

	// At the end, every entry ever acknowledged is still there.
	l, err := ledger.Open(ctx, e.Dir, crashOptions(clock.Real{}))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rep, err := l.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("final verify: %v %v", err, rep.Problems)
	}
	for id, kind := range acked {
		if got, err := l.Entry(ctx, id); err != nil || got.Kind != kind {
			t.Fatalf("acknowledged %v entry %s missing at the end: %v", kind, id, err)
		}
	}
	st.acked, st.entries = len(acked), rep.Entries
	return st
}

// crashMoment says when a round kills the child: delay after its start
// (early), after its afterAcks-th acknowledged tap, or after it is ready.
type crashMoment struct {
	early     bool
	afterAcks int
	delay     time.Duration
}

// crashRound starts the child, kills it at the moment given, and returns
// the entries it acknowledged in full lines before it died.
func crashRound(t *testing.T, dir string, when crashMoment) map[record.EntryID]record.Kind {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildDir+"="+dir)
	// Should the parent die first, the child goes too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		r := bufio.NewReader(out)
		for {
			s, err := r.ReadString('\n')
			if err != nil {
				return // a line cut short by the kill was never acknowledged
			}
			lines <- s
		}
	}()
	fresh := map[record.EntryID]record.Kind{}
	take := func(s string) {
		f := strings.Fields(s)
		if len(f) != 3 || f[0] != "ack" {
			return
		}
		k, err1 := strconv.Atoi(f[1])
		id, err2 := record.ParseEntryID(f[2])
		if err1 != nil || err2 != nil {
			t.Fatalf("child printed %q", s)
		}
		fresh[id] = record.Kind(k)
	}
	if !when.early {
		timeout := time.After(30 * time.Second)
	wait:
		for {
			select {
			case s, ok := <-lines:
				if !ok {
					cmd.Wait()
					t.Fatalf("child ended before it was ready: %s", stderr.String())
				}
				take(s)
				if s == "ready\n" && when.afterAcks == 0 || len(fresh) >= when.afterAcks && when.afterAcks > 0 {
					break wait
				}
			case <-timeout:
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("child not ready (or not tapping) in 30 s: %s", stderr.String())
			}
		}
	}
	time.Sleep(when.delay)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for s := range lines {
		take(s)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v\n%s", err, stderr.String())
	}
	return fresh
}

// TestCrashChild is the tapping child of the crash test; run on its own
// (without HONGMAJIA_CRASH_CHILD) it has nothing to do.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildDir)
	if dir == "" {
		return
	}
	ctx := context.Background()
	b, err := os.ReadFile(filepath.Join(dir, "crash.json"))
	if err != nil {
		t.Fatal(err)
	}
	var setup crashSetup
	if err := json.Unmarshal(b, &setup); err != nil {
		t.Fatal(err)
	}
	// The clock starts an hour after the last entry and moves seven minutes a
	// tap, so shifts are credited and time never runs backwards across kills.
	c := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	l, err := ledger.Open(ctx, dir, crashOptions(c))
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.SyncState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if last, err := l.EntriesAfter(ctx, s.HeadSeq-1, 1); err == nil && len(last) == 1 {
		c.Set(last[0].At.Add(time.Hour))
	}
	os.Stdout.WriteString("ready\n")
	rng := rand.New(rand.NewPCG(rand.Uint64(), uint64(os.Getpid())))
	ack := func(k record.Kind, id record.EntryID) {
		// One write per line: a pipe keeps it whole, so the parent sees a
		// full line only for a call that returned.
		os.Stdout.WriteString("ack " + strconv.Itoa(int(k)) + " " + id.String() + "\n")
	}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		c.Advance(7 * time.Minute)
		card := setup.Cards[rng.IntN(len(setup.Cards))]
		info, err := l.LookupCard(ctx, card)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case info.OpenShift != nil:
			r, err := l.CheckOut(ctx, ledger.CheckOut{ID: record.NewEntryID(), Card: card})
			if err != nil {
				t.Fatal(err)
			}
			ack(record.KindCheckOut, r.Entry.ID)
		case rng.IntN(2) == 0:
			sh, err := l.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: card, Activity: setup.Activity})
			if err != nil {
				t.Fatal(err)
			}
			ack(record.KindCheckIn, sh.ID)
		default:
			r, err := l.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: card, Item: setup.Item, Quantity: int64(1 + rng.IntN(3))})
			if err != nil {
				t.Fatal(err)
			}
			ack(record.KindRedeem, r.Entry.ID)
		}
	}
	t.Fatal("child was not killed within a minute")
}
