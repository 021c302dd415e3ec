package ledger

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// The kiosk's standing with its district hub, kept in meta: the hub's key
// and address, the center it enrolled the kiosk for, how far each side has
// acknowledged the other, the request counter, the hub's clock offset and
// the last refusal. The client (the kiosk's sync) reads and moves it with
// Enroll, Enrollment, NextCounter, RecordPush and ApplyPull.

const opEnroll = "enroll"

// Enrollment is what the kiosk's sync needs to talk to its hub.
type Enrollment struct {
	Enrolled   bool
	HubURL     string
	HubKey     ed25519.PublicKey // every answer and snapshot is checked with it
	Center     string            // the hub's id of the center (the ledger's own)
	CenterName string
	// RegistryVersion is the hub's registry version applied here: a pull's
	// Since.
	RegistryVersion uint64
	// ChangesAcked is the last outbox row the hub acknowledged: a push's
	// ChangesAcked, and Changes' after.
	ChangesAcked uint64
	// Counter is the last request counter used (NextCounter).
	Counter     uint64
	ClockOffset time.Duration // the hub's clock less this kiosk's
	LastRefusal string
	Fork        bool
	// Acked is the hub's acknowledged head: the sequence the hub holds up
	// to and that entry's hash here (a push's Acked).
	Acked record.Head
	// PickupsAcked is the last pickup row the hub took: a push's
	// PickupsAcked, and Pickups' after.
	PickupsAcked uint64
}

// Enrollment returns the kiosk's standing with its hub; Enrolled false and
// the rest zero when it has none.
func (l *Ledger) Enrollment(ctx context.Context) (Enrollment, error) {
	m, err := readMeta(ctx, l.read())
	if err != nil {
		return Enrollment{}, fmt.Errorf("enrollment: %w", err)
	}
	en := Enrollment{
		Enrolled: m["enrolled"] == "1", HubURL: m["hub_url"], Center: m["hub_center"], CenterName: m["hub_center_name"],
		RegistryVersion: metaUint(m, "registry_version"), ChangesAcked: metaUint(m, "changes_acked"), Counter: metaUint(m, "counter"),
		LastRefusal: m["last_refusal"], Fork: m["fork"] == "1", PickupsAcked: metaUint(m, "pickups_acked"),
	}
	if v := m["hub_key"]; v != "" {
		k, err := hex.DecodeString(v)
		if err != nil || len(k) != ed25519.PublicKeySize {
			return Enrollment{}, fmt.Errorf("enrollment: hub key in meta: %w", ErrCorrupt)
		}
		en.HubKey = k
	}
	if n, err := strconv.ParseInt(m["clock_offset"], 10, 64); err == nil {
		en.ClockOffset = time.Duration(n)
	}
	if seq := metaUint(m, "acked_seq"); seq > 0 {
		var h []byte
		// An acknowledged entry this ledger lacks (rolled back) leaves the
		// hash zero: the push says so, and the hub answers with a fork.
		err := l.read().QueryRowContext(ctx, "SELECT hash FROM entries WHERE terminal = ? AND seq = ?", l.term.ID, int64(seq)).Scan(&h)
		if err != nil && !isNoRows(err) {
			return Enrollment{}, fmt.Errorf("enrollment: acknowledged entry %d: %w", seq, storageErr(err))
		}
		en.Acked.Seq = seq
		copy(en.Acked.Hash[:], h)
	}
	return en, nil
}

// hubKey reads the stored hub key; ErrInvalid when the ledger has none.
func hubKey(ctx context.Context, q querier) (ed25519.PublicKey, error) {
	var v string
	err := q.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'hub_key'").Scan(&v)
	if isNoRows(err) {
		return nil, fmt.Errorf("not enrolled with a hub: %w", ErrInvalid)
	}
	if err != nil {
		return nil, storageErr(err)
	}
	k, err := hex.DecodeString(v)
	if err != nil || len(k) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("hub key in meta: %w", ErrCorrupt)
	}
	return k, nil
}

// Head returns this terminal's chain head: its last entry's sequence and
// hash (the zero Head before the first entry).
func (l *Ledger) Head(ctx context.Context) (record.Head, error) {
	var h record.Head
	var seq int64
	var hash []byte
	err := l.read().QueryRowContext(ctx, "SELECT seq, hash FROM entries WHERE terminal = ? ORDER BY seq DESC LIMIT 1", l.term.ID).Scan(&seq, &hash)
	if isNoRows(err) {
		return h, nil
	}
	if err != nil {
		return h, fmt.Errorf("head: %w", storageErr(err))
	}
	h.Seq = uint64(seq)
	copy(h.Hash[:], hash)
	return h, nil
}

func (t *wtx) setMeta(key, value string) error {
	_, err := t.exec("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value)
	return err
}

func (t *wtx) meta() (map[string]string, error) { return readMeta(t.ctx, t.q) }

// writeEnrollment stores what Enrolled says in meta and marks the ledger
// enrolled. A hub of another key is another hub: the registry version goes
// back to 0, so the next pull brings its whole registry.
func (t *wtx) writeEnrollment(en hubsync.Enrolled) error {
	m, err := t.meta()
	if err != nil {
		return err
	}
	key := hex.EncodeToString(en.HubKey)
	if old := m["hub_key"]; old != "" && old != key {
		if err := t.setMeta("registry_version", "0"); err != nil {
			return err
		}
	}
	policy, _ := json.Marshal(en.Policy)
	for _, kv := range [][2]string{{"enrolled", "1"}, {"hub_url", en.HubURL}, {"hub_key", key}, {"hub_center", en.Center},
		{"hub_center_name", en.CenterName}, {"policy", string(policy)}} {
		if err := t.setMeta(kv[0], kv[1]); err != nil {
			return err
		}
	}
	if !en.HubTime.IsZero() {
		return t.setMeta("clock_offset", strconv.FormatInt(int64(en.HubTime.Sub(t.now)), 10))
	}
	return nil
}

func checkEnrolled(en hubsync.Enrolled, term Terminal) error {
	switch {
	case en.Terminal != term.ID:
		return fmt.Errorf("enrolled terminal %q, this ledger is %q: %w", en.Terminal, term.ID, ErrInvalid)
	case en.Center != term.Center:
		// Stock and pickup codes are per center and the entries name it:
		// the hub's center must be the one the ledger was made for.
		return fmt.Errorf("the hub enrolled this kiosk for center %q, the ledger serves %q: %w", en.Center, term.Center, ErrInvalid)
	case len(en.HubKey) != ed25519.PublicKeySize:
		return fmt.Errorf("hub key of %d bytes: %w", len(en.HubKey), ErrInvalid)
	case en.HubURL == "":
		return fmt.Errorf("no hub address: %w", ErrInvalid)
	}
	if err := en.Policy.Validate(); err != nil {
		return err
	}
	return nil
}

// Enroll records the hub's answer to an enrollment: its key, its address,
// the center, the policy and the hub's clock; the ledger is enrolled from
// then on (MaxSyncAge applies). The answer must be for this terminal and
// its center (ErrInvalid otherwise). Enrolling again (a hub that moved)
// replaces the address and key and keeps what was acknowledged.
func (l *Ledger) Enroll(ctx context.Context, en hubsync.Enrolled) error {
	if err := checkEnrolled(en, l.term); err != nil {
		return fmt.Errorf("%s: %w", opEnroll, err)
	}
	return l.write(ctx, opEnroll, func(t *wtx) error { return t.writeEnrollment(en) })
}

// write runs fn in one write transaction at the clock's time.
func (l *Ledger) write(ctx context.Context, op string, fn func(t *wtx) error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, err := l.begin(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	t.tick()
	if err := fn(t); err != nil {
		t.rollback()
		return fmt.Errorf("%s: %w", op, storageErr(err))
	}
	if err := t.commit(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// NextCounter returns the next request counter (Hmj-Counter): one more
// than the last, or the time in microseconds when the clock is trusted and
// that is more; persisted before it is returned, so it only ever grows,
// across restarts too.
func (l *Ledger) NextCounter(ctx context.Context) (uint64, error) {
	var n uint64
	err := l.write(ctx, "next counter", func(t *wtx) error {
		m, err := t.meta()
		if err != nil {
			return err
		}
		n = metaUint(m, "counter") + 1
		// A trusted clock moves the counter to the time in microseconds:
		// a ledger rolled back (a backup put back, a WAL lost) would
		// otherwise count again through numbers the hub has seen, and be
		// refused as a replay before it could even hear it forked.
		if t.trusted && t.now.UnixMicro() > 0 && uint64(t.now.UnixMicro()) > n {
			n = uint64(t.now.UnixMicro())
		}
		return t.setMeta("counter", strconv.FormatUint(n, 10))
	})
	return n, err
}

// RecordPush records the hub's answer to a push, in one transaction: the
// entries it acknowledged (Acknowledge: never backwards), the outbox rows
// and pickup rows it acknowledged (never backwards), its clock's offset, and either that the
// push was taken (LastPush; the refusal and the fork flag cleared) or why
// it was refused (LastRefusal, Fork; kept until a push is taken).
//
// An acknowledgement this ledger cannot hold (a sequence past its head, a
// hash that is not its entry's, more outbox rows than it has) means the
// ledger is behind or differs from what the hub anchored: it is recorded as
// a fork, nothing is acknowledged, and the error wraps hubsync.ErrFork.
func (l *Ledger) RecordPush(ctx context.Context, r hubsync.PushResult) error {
	var fork error
	err := l.write(ctx, "record push", func(t *wtx) error {
		m, err := t.meta()
		if err != nil {
			return err
		}
		reason, err := t.checkAck(r)
		if err != nil {
			return err
		}
		if reason != "" {
			fork = fmt.Errorf("%s: %w", reason, hubsync.ErrFork)
		}
		if fork == nil {
			if r.Acked.Seq > metaUint(m, "acked_seq") {
				if err := t.setMeta("acked_seq", strconv.FormatUint(r.Acked.Seq, 10)); err != nil {
					return err
				}
			}
			if r.ChangesAcked > metaUint(m, "changes_acked") {
				if err := t.setMeta("changes_acked", strconv.FormatUint(r.ChangesAcked, 10)); err != nil {
					return err
				}
			}
			// A refused push stored none of its rows.
			if r.Refused == "" {
				if err := t.ackPickups(r.PickupsAcked, metaUint(m, "pickups_acked")); err != nil {
					return err
				}
			}
		}
		if !r.HubTime.IsZero() {
			if err := t.setMeta("clock_offset", strconv.FormatInt(int64(r.HubTime.Sub(t.now)), 10)); err != nil {
				return err
			}
		}
		refusal, forked := r.Refused, r.Fork || m["fork"] == "1"
		if reason != "" {
			refusal, forked = reason, true
		}
		if refusal == "" && !r.Fork {
			for _, kv := range [][2]string{{"last_refusal", ""}, {"fork", "0"}, {"last_push", strconv.FormatInt(t.now.UnixNano(), 10)}} {
				if err := t.setMeta(kv[0], kv[1]); err != nil {
					return err
				}
			}
			return nil
		}
		if refusal == "" {
			refusal = "the hub says this ledger forked from its anchor"
		}
		if err := t.setMeta("last_refusal", refusal); err != nil {
			return err
		}
		return t.setMeta("fork", map[bool]string{true: "1", false: "0"}[forked])
	})
	if err != nil {
		return err
	}
	if fork != nil {
		return fmt.Errorf("record push: %w", fork)
	}
	return nil
}

// checkAck says why r acknowledges what this ledger does not hold; "" when
// it holds it.
func (t *wtx) checkAck(r hubsync.PushResult) (string, error) {
	if r.Acked.Seq > t.head.seq {
		return fmt.Sprintf("the hub holds this terminal's entries up to %d, this ledger ends at %d", r.Acked.Seq, t.head.seq), nil
	}
	if r.Acked.Seq > 0 {
		var b []byte
		if err := t.queryRow("SELECT hash FROM entries WHERE terminal = ? AND seq = ?", t.l.term.ID, int64(r.Acked.Seq)).Scan(&b); err != nil {
			return "", err
		}
		var h record.Hash
		copy(h[:], b)
		if h != r.Acked.Hash {
			return fmt.Sprintf("the hub's entry %d has hash %.16s…, this ledger's %.16s…", r.Acked.Seq, r.Acked.Hash, h), nil
		}
	}
	var n int64
	if err := t.queryRow("SELECT COALESCE(MAX(seq), 0) FROM outbox").Scan(&n); err != nil {
		return "", err
	}
	m, err := t.meta()
	if err != nil {
		return "", err
	}
	// A restored ledger's outbox starts after what the hub had.
	if have := max(uint64(n), metaUint(m, "changes_acked")); r.ChangesAcked > have {
		return fmt.Sprintf("the hub acknowledged %d registry changes, this ledger made %d", r.ChangesAcked, have), nil
	}
	return "", nil
}
