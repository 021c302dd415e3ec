package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hongmajia/hongmajia/record"
)

func readPolicy(ctx context.Context, q querier) (record.Policy, error) {
	var v string
	err := q.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'policy'").Scan(&v)
	if err != nil {
		if isNoRows(err) {
			return record.DefaultPolicy, nil
		}
		return record.Policy{}, storageErr(err)
	}
	var p record.Policy
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return record.Policy{}, fmt.Errorf("policy: %v: %w", err, ErrCorrupt)
	}
	return p, nil
}

// Policy returns the limits in force.
func (l *Ledger) Policy(ctx context.Context) (record.Policy, error) { return readPolicy(ctx, l.r) }

// SetPolicy replaces the limits (from the hub, or the demo).
func (l *Ledger) SetPolicy(ctx context.Context, p record.Policy) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("set policy: %w", err)
	}
	b, _ := json.Marshal(p)
	return l.setMeta(ctx, "set policy", map[string]string{"policy": string(b)})
}

func (l *Ledger) setMeta(ctx context.Context, op string, kv map[string]string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, err := l.begin(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	t.tick()
	for k, v := range kv {
		if _, err := t.exec("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", k, v); err != nil {
			t.rollback()
			return fmt.Errorf("%s: %w", op, storageErr(err))
		}
	}
	if err := t.commit(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// SyncState is where this terminal stands with the hub.
type SyncState struct {
	// Enrolled: the terminal has a hub; only then does MaxSyncAge apply.
	Enrolled bool
	// AckedSeq is the highest sequence of this terminal the hub holds.
	AckedSeq uint64
	// HeadSeq is this terminal's last sequence.
	HeadSeq uint64
	// Unsynced counts entries after AckedSeq.
	Unsynced uint64
	// LastSync is the last successful sync (a pull applied); zero if never.
	// MaxSyncAge counts from it.
	LastSync time.Time
	// LastPush is the last push the hub took whole; zero if never.
	LastPush time.Time
	// ChangesUnsynced counts the registry changes made here the hub has
	// not acknowledged (the outbox after ChangesAcked).
	ChangesUnsynced uint64
	// RegistryVersion is the hub's registry version this ledger holds.
	RegistryVersion uint64
	// LastRefusal is why the hub refused the last push (a gap, a broken
	// chain, a fork); "" once a push is taken.
	LastRefusal string
	// Fork: the hub says (or this ledger found) that the ledger is behind
	// or differs from what the hub anchored; it needs a restore from the
	// hub. Kept until a push is taken.
	Fork bool
	// ClockOffset is the hub's clock less this kiosk's, at the last answer.
	ClockOffset time.Duration
}

// readSyncState reads the sync standing; full adds what only status shows
// (the outbox's count), which a redemption's check does not need.
func readSyncState(ctx context.Context, q querier, l *Ledger, full bool) (SyncState, error) {
	m, err := readMeta(ctx, q)
	if err != nil {
		return SyncState{}, err
	}
	var s SyncState
	s.Enrolled = m["enrolled"] == "1"
	s.AckedSeq = metaUint(m, "acked_seq")
	s.LastSync = metaTime(m, "last_sync")
	s.LastPush = metaTime(m, "last_push")
	s.RegistryVersion = metaUint(m, "registry_version")
	s.LastRefusal = m["last_refusal"]
	s.Fork = m["fork"] == "1"
	if n, err := strconv.ParseInt(m["clock_offset"], 10, 64); err == nil {
		s.ClockOffset = time.Duration(n)
	}
	var head int64
	if err := q.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM entries WHERE terminal = ?", l.term.ID).Scan(&head); err != nil {
		return SyncState{}, storageErr(err)
	}
	s.HeadSeq = uint64(head)
	if s.HeadSeq > s.AckedSeq {
		s.Unsynced = s.HeadSeq - s.AckedSeq
	}
	if full && l.schema >= syncSchema {
		var n int64
		if err := q.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM outbox").Scan(&n); err != nil {
			return SyncState{}, storageErr(err)
		}
		if acked := metaUint(m, "changes_acked"); uint64(n) > acked {
			s.ChangesUnsynced = uint64(n) - acked
		}
	}
	return s, nil
}

func metaUint(m map[string]string, key string) uint64 {
	n, _ := strconv.ParseUint(m[key], 10, 64)
	return n
}

func metaTime(m map[string]string, key string) time.Time {
	n, _ := strconv.ParseInt(m[key], 10, 64)
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// SyncState returns the terminal's sync standing (staff see Unsynced).
func (l *Ledger) SyncState(ctx context.Context) (SyncState, error) {
	return readSyncState(ctx, l.r, l, true)
}

// Acknowledge records that the hub holds this terminal's entries up to seq.
// It never moves backwards and never past the last entry.
func (l *Ledger) Acknowledge(ctx context.Context, seq uint64) error {
	s, err := l.SyncState(ctx)
	if err != nil {
		return fmt.Errorf("acknowledge: %w", err)
	}
	if seq > s.HeadSeq {
		return fmt.Errorf("acknowledge %d: last entry is %d: %w", seq, s.HeadSeq, ErrInvalid)
	}
	if seq <= s.AckedSeq {
		return nil
	}
	return l.setMeta(ctx, "acknowledge", map[string]string{"acked_seq": strconv.FormatUint(seq, 10)})
}

// RecordSync records a successful sync at the clock's current time.
func (l *Ledger) RecordSync(ctx context.Context) error {
	return l.setMeta(ctx, "record sync", map[string]string{"last_sync": strconv.FormatInt(l.opts.Clock.Now().UnixNano(), 10)})
}

// SetEnrolled records whether the terminal is enrolled with a hub.
func (l *Ledger) SetEnrolled(ctx context.Context, enrolled bool) error {
	v := "0"
	if enrolled {
		v = "1"
	}
	return l.setMeta(ctx, "set enrolled", map[string]string{"enrolled": v})
}

// KeepRequests is how many of the latest writes' results the idempotency
// log keeps. A request id is used again only by the busy retry of the
// program that made it (kiosk.DefaultRetry: three attempts a quarter second
// apart, each waiting out the 5 s busy timeout, so within 16 s): a tap at
// the screen or the station, a staff action and a kioskctl command each
// make a new id, and the hub's sync writes through no request id at all.
// 20,000 writes are weeks at the busiest kiosk (300 taps a day: two
// months), so every retry that can come is answered as the first write
// was. Older results are dropped (saveRequest, PruneRequests), so the log
// stops growing the file: every other table grows with the entries or the
// people. A write that makes an entry stays done once even past it: the
// entry's id is its request's, and a second entry of that id is refused
// (entries.id is UNIQUE); only the first answer is no longer replayed.
const KeepRequests = 20000

// keepRequests is KeepRequests; a test lowers it to see the trim at work
// (atomic: the writers of other tests' ledgers read it meanwhile).
var keepRequests atomic.Int64

func init() { keepRequests.Store(KeepRequests) }

// PruneRequests drops the idempotency log's results but the latest keep
// (KeepRequests when keep <= 0), and returns how many it dropped. The
// nightly sync runs it; the pages they held are reused by later writes.
func (l *Ledger) PruneRequests(ctx context.Context, keep int) (int64, error) {
	if keep <= 0 {
		keep = int(keepRequests.Load())
	}
	var n int64
	err := l.write(ctx, "prune requests", func(t *wtx) error {
		res, err := t.exec("DELETE FROM requests WHERE rowid <= (SELECT MAX(rowid) FROM requests) - ?", keep)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// trimEvery and trimStep: every trimEvery-th result saved drops up to
// trimStep of the oldest beyond KeepRequests, in the write's transaction.
// The idempotency log is so bounded on every ledger, whether it syncs
// nightly or not (a center without a hub, a demo, a seeded benchmark), at
// the cost of one small delete every 64 writes; a log that grew before
// (a file of schema 6, or older, never pruned) shrinks by up to 256 a
// time, four times as fast as the writes add to it.
const (
	trimEvery = 64
	trimStep  = 256
)

// saveRequest stores a write's result under its request id and, every
// trimEvery-th one, trims the log's oldest results beyond KeepRequests.
func (t *wtx) saveRequest(id record.EntryID, op string, blob []byte) error {
	res, err := t.exec(sqlSaveRequest, id[:], op, blob)
	if err != nil {
		return err
	}
	n, err := res.LastInsertId()
	keep := keepRequests.Load()
	if err != nil || n%trimEvery != 0 || n <= keep {
		return err
	}
	_, err = t.exec("DELETE FROM requests WHERE rowid IN (SELECT rowid FROM requests WHERE rowid <= ? ORDER BY rowid LIMIT ?)",
		n-keep, trimStep)
	return err
}
