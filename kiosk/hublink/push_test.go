package hublink_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/kiosk/hublink"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// pushLog records the pushes a link sends.
type pushLog struct {
	mu     sync.Mutex
	pushes []hubsync.Push
}

func (l *pushLog) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == hubsync.PathPush {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		var p hubsync.Push
		if err := hubsync.DecodeBody(body, &p); err != nil {
			return nil, err
		}
		l.mu.Lock()
		l.pushes = append(l.pushes, p)
		l.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(r)
}

// A center that started alone brings more registry rows than one push
// carries. Its entries wait until the hub holds every row: an entry pushed
// beside the first rows may be of a person in the later ones, and the hub
// would hold that person's balance before the person, which a kiosk whose
// pull is cut between the two versions cannot apply (the benchmark of a
// 20,000-person district found it stuck so).
func TestRegistryGoesBeforeEntries(t *testing.T) {
	h := newHub(t)
	k := ledgertest.MustOpen(t)
	const people = hubsync.MaxChanges/2 + 100 // a person and a card each
	var last record.PersonID
	err := k.Batch(ctx, func(b *ledger.Batch) error {
		for i := range people {
			p, err := b.EnrolPerson(ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: fmt.Sprintf("S%05d", i), Name: "志愿者", Kind: record.RedVest})
			if err != nil {
				return err
			}
			if _, err := b.BindCard(ledger.BindCard{ID: record.NewEntryID(), Person: p.ID, UID: record.CardUID(fmt.Sprintf("%08X", 0xC0000000+i)), Operator: k.Staff}); err != nil {
				return err
			}
			last = p.ID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	k.Credit(t, last, 7) // the first entry is of the last person enrolled
	log := &pushLog{}
	opts := hublink.Options{Clock: k.Clock, Sync: k.Sync, HTTP: &http.Client{Transport: log}}
	if _, err := hublink.Enroll(ctx, k.Dir, k.Ledger, h.url, h.token(t), opts); err != nil {
		t.Fatal(err)
	}
	key, err := hublink.LoadKey(k.Dir)
	if err != nil {
		t.Fatal(err)
	}
	res := mustSync(t, hublink.New(k.Ledger, key, opts))
	en, err := k.Enrollment(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if en.ChangesAcked < 2*people || res.Unsynced != 0 {
		t.Fatalf("the hub acknowledged %d changes, %d entries left; want %d and none", en.ChangesAcked, res.Unsynced, 2*people)
	}
	for i, p := range log.pushes {
		if len(p.Entries) > 0 && p.ChangesAcked+uint64(len(p.Changes)) < en.ChangesAcked {
			t.Errorf("push %d carries %d entries beside changes %d..%d of %d", i+1, len(p.Entries),
				p.ChangesAcked+1, p.ChangesAcked+uint64(len(p.Changes)), en.ChangesAcked)
		}
	}
	if len(log.pushes) < 2 {
		t.Errorf("%d pushes of %d registry rows", len(log.pushes), en.ChangesAcked)
	}
	if b, err := h.hub.DistrictBalance(ctx, last); err != nil || b.Points != 7 {
		t.Errorf("district balance of the last person %+v %v, want 7 points", b, err)
	}
}
