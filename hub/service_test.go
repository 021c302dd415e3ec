package hub_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hub/sqlitestore"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/internal/pgtest"
	"github.com/hongmajia/hongmajia/record"
	"github.com/hongmajia/hongmajia/roster"
	"github.com/jackc/pgx/v5"
)

// residentNo is a resident ID number with a right check digit (GB 11643's
// own example).
const residentNo = "11010519491231002X"

var byWang = hub.Actor{User: "王芳", Addr: "192.0.2.7"}

// activity imports an activity of center and returns its id.
func (e *env) activity(center, name string) record.ActivityID {
	e.t.Helper()
	if _, err := e.hub.ImportActivities(ctx, center, []roster.Activity{{Line: 2, Name: name}}, false); err != nil {
		e.t.Fatal(err)
	}
	var id record.ActivityID
	err := e.store.View(ctx, func(r hub.Reader) error {
		as, err := r.Activities(center)
		for _, a := range as {
			if a.Name == name {
				id = a.ID
			}
		}
		return err
	})
	if err != nil || id == 0 {
		e.t.Fatalf("activity %s: %v", name, err)
	}
	return id
}

func (e *env) record(scope hub.Scope, p record.PersonID, q hub.RecordQuery) hub.ServiceRecord {
	e.t.Helper()
	rec, err := e.hub.ServiceRecord(ctx, scope, p, q)
	if err != nil {
		e.t.Fatalf("record of %d: %v", p, err)
	}
	return rec
}

// served is a person with shifts at A and B, every kind of row: what each
// kiosk pushed.
type served struct {
	p                  hub.Person
	a, b               *hubtest.Kiosk
	cleaning, visiting record.ActivityID
}

func newServed(e *env) served {
	s := served{p: e.person("HPL0001", "王堃", "04A1B2C3"), a: e.kiosk("TA", "A"), b: e.kiosk("TB", "B")}
	s.cleaning, s.visiting = e.activity("A", "环境整治"), e.activity("B", "助老探访")
	id, card := s.p.ID, record.CardUID("04A1B2C3")
	// A: a shift of 2 h (10 points), a shift whose check-out was reversed,
	// a staff correction of +30 min, a shift still open.
	in := s.a.CheckIn(id, card, s.cleaning)
	e.clk.Advance(2 * time.Hour)
	s.a.CheckOut(in, 120, 10)
	e.clk.Advance(22 * time.Hour)
	in = s.a.CheckIn(id, card, s.cleaning)
	e.clk.Advance(time.Hour)
	out := s.a.CheckOut(in, 60, 5)
	s.a.Append(record.Entry{Kind: record.KindReverse, Person: id, Card: card, Activity: s.cleaning, Shift: in.ID, Reverses: out.ID,
		Minutes: -60, Points: -5, Operator: "99000001", Reason: "刷错卡"})
	s.a.Append(record.Entry{Kind: record.KindAdjust, Person: id, Minutes: 30, Points: 3, Operator: "99000001", Reason: "补签退"})
	e.clk.Advance(24 * time.Hour)
	s.a.CheckIn(id, card, s.cleaning)
	e.pushOK(s.a)
	// B: a shift of 90 min.
	e.clk.Advance(24 * time.Hour)
	in = s.b.CheckIn(id, card, s.visiting)
	e.clk.Advance(90 * time.Minute)
	s.b.CheckOut(in, 90, 8)
	e.pushOK(s.b)
	return s
}

func TestServiceRecordRowsAndScope(t *testing.T) {
	e := newEnv(t)
	s := newServed(e)
	rec := e.record(hub.DistrictScope(), s.p.ID, hub.RecordQuery{})
	type row struct {
		kind     hub.RowKind
		state    hub.RowState
		center   string
		activity string
		minutes  int64
		reason   string
	}
	var got []row
	for _, r := range rec.Rows {
		got = append(got, row{r.Kind, r.State, r.Center, r.ActivityName, r.Minutes, r.Reason})
	}
	want := []row{ // newest first
		{hub.RowShift, hub.StateClosed, "B", "助老探访", 90, ""},
		{hub.RowShift, hub.StateOpen, "A", "环境整治", 0, ""},
		{hub.RowAdjust, hub.StateClosed, "A", "", 30, "补签退"},
		{hub.RowShift, hub.StateReversed, "A", "环境整治", 60, "刷错卡"},
		{hub.RowShift, hub.StateClosed, "A", "环境整治", 120, ""},
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows:\n%v\nwant\n%v", got, want)
	}
	// What counts is what the district balance says.
	if b := e.balance(s.p.ID); rec.Minutes != b.Minutes || rec.Minutes != 240 || rec.Points != 21 || rec.Shifts != 2 {
		t.Errorf("record: %d min, %d points, %d shifts; the balance %d min", rec.Minutes, rec.Points, rec.Shifts, b.Minutes)
	}
	first := rec.Rows[len(rec.Rows)-1]
	if !first.In.Equal(hubtest.Start) || !first.Out.Equal(hubtest.Start.Add(2*time.Hour)) || first.InCorrected || first.OutCorrected {
		t.Errorf("the first shift: in %v, out %v, corrected %v/%v", first.In, first.Out, first.InCorrected, first.OutCorrected)
	}
	if !rec.First.Equal(hubtest.Start) || !rec.Last.Equal(rec.Rows[0].In) {
		t.Errorf("first %v, last %v", rec.First, rec.Last)
	}
	wantActs := []hub.ActivityTotal{{Activity: s.cleaning, Name: "环境整治", Shifts: 1, Minutes: 120}, {Activity: s.visiting, Name: "助老探访", Shifts: 1, Minutes: 90},
		{Name: "", Minutes: 30}}
	if !slices.Equal(rec.Activities, wantActs) {
		t.Errorf("activities %+v, want %+v", rec.Activities, wantActs)
	}
	if !slices.Equal(rec.Years, []int{2026}) || rec.ID != nil {
		t.Errorf("years %v, ID %+v", rec.Years, rec.ID)
	}

	// A center's staff see their center's rows only.
	a := e.record(hub.CenterScope("A"), s.p.ID, hub.RecordQuery{})
	b := e.record(hub.CenterScope("B"), s.p.ID, hub.RecordQuery{})
	if len(a.Rows) != 4 || a.Minutes != 150 || len(b.Rows) != 1 || b.Minutes != 90 || b.Rows[0].Center != "B" {
		t.Errorf("center A: %d rows, %d min; center B: %d rows, %d min", len(a.Rows), a.Minutes, len(b.Rows), b.Minutes)
	}
	for _, r := range a.Rows {
		if r.Center != "A" {
			t.Errorf("center A sees a row of %s", r.Center)
		}
	}
	// A person who never served at a center is not there for its staff,
	// nor for nobody's scope.
	other := e.person("HPL0002", "李喆", "04A1B2C4")
	e.kiosk("TC", "B").Earn(other.ID, "04A1B2C4", s.visiting, 30, 3)
	for _, scope := range []hub.Scope{hub.CenterScope("A"), {}} {
		if _, err := e.hub.ServiceRecord(ctx, scope, other.ID, hub.RecordQuery{}); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("a person who never served at A, in scope %+v: %v, want ErrNotFound", scope, err)
		}
	}
	if _, err := e.hub.ServiceRecord(ctx, hub.DistrictScope(), 999, hub.RecordQuery{}); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("a person who is not there: %v", err)
	}

	// A period: the rows whose time is in it.
	day := func(d int) time.Time { return hubtest.Start.Add(time.Duration(d) * 24 * time.Hour).Add(-9 * time.Hour) }
	p := e.record(hub.DistrictScope(), s.p.ID, hub.RecordQuery{From: day(1), To: day(2)})
	if len(p.Rows) != 2 || p.Minutes != 30 || p.Shifts != 0 {
		t.Errorf("day 2: %d rows, %d min, %d shifts", len(p.Rows), p.Minutes, p.Shifts)
	}
}

func TestServiceRecordCorrectedTimesAndMerges(t *testing.T) {
	e := newEnv(t)
	p := e.person("HPL0001", "王堃", "04A1B2C3")
	act := e.activity("A", "环境整治")
	// A Pi that booted without network: its clock reads 1970.
	epoch := time.Date(1970, 1, 1, 0, 5, 0, 0, time.UTC)
	offset := e.clk.Now().Sub(epoch)
	k := hubtest.NewKiosk("T1", "A", func() time.Time { return e.clk.Now().Add(-offset) })
	k.Trusted = false
	e.enroll(k, "A")
	// A walk-in the kiosk made, merged into the registration later.
	k.AddChange(&hubsync.Person{ID: 5001, MemberNo: "W-7F3A", Provisional: true, Kind: record.Resident}, nil)
	in := k.CheckIn(5001, "0A0B0C0D", act)
	e.clk.Advance(time.Hour)
	k.CheckOut(in, 60, 6)
	e.clk.Advance(time.Minute)
	e.pushOK(k)
	walkIn, err := e.hub.FindPerson(ctx, "W-7F3A")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.hub.MergePerson(ctx, walkIn.ID, p.ID, "test"); err != nil {
		t.Fatal(err)
	}
	rec := e.record(hub.CenterScope("A"), walkIn.ID, hub.RecordQuery{})
	if rec.Person.ID != p.ID {
		t.Errorf("the walk-in's id opens person %d, want %d", rec.Person.ID, p.ID)
	}
	if len(rec.Rows) != 1 {
		t.Fatalf("%d rows", len(rec.Rows))
	}
	r := rec.Rows[0]
	if !r.InCorrected || !r.OutCorrected || !r.In.Equal(hubtest.Start) || !r.Out.Equal(hubtest.Start.Add(time.Hour)) || r.Minutes != 60 {
		t.Errorf("the shift of a 1970 clock: in %v, out %v, corrected %v/%v, %d min", r.In, r.Out, r.InCorrected, r.OutCorrected, r.Minutes)
	}
	found, err := e.hub.FindServedPeople(ctx, hub.CenterScope("A"), "王堃", 10)
	if err != nil || len(found) != 1 || found[0].ID != p.ID {
		t.Errorf("find 王堃 at A: %+v, %v", found, err)
	}
	if found, _ := e.hub.FindServedPeople(ctx, hub.CenterScope("B"), "王堃", 10); len(found) != 0 {
		t.Errorf("find 王堃 at B (never served there): %+v", found)
	}
}

func TestIDNumbers(t *testing.T) {
	for _, c := range []struct {
		typ  hub.IDType
		in   string
		want string // "" refused
	}{
		{hub.IDResident, residentNo, residentNo},
		{hub.IDResident, "110105 19491231 002x", residentNo},
		{hub.IDResident, "110105194912310021", ""}, // check digit
		{hub.IDResident, "110105194913310024", ""}, // month 13
		{hub.IDResident, "11010519491231002", ""},
		{hub.IDHMTResidence, residentNo, ""}, // not 81/82/83
		{hub.IDHMTResidence, "810000199408230021", "810000199408230021"},
		{hub.IDHKMacao, "h12345678", "H12345678"},
		{hub.IDHKMacao, "X12345678", ""},
		{hub.IDTaiwan, "12345678", "12345678"},
		{hub.IDTaiwan, "1234567", ""},
		{hub.IDForeignPR, "USA123456789012", "USA123456789012"},
		{hub.IDPassport, "E1234-5678", "E12345678"},
		{hub.IDPassport, "E12<>", ""},
		{"driving-licence", "12345678", ""},
	} {
		got, err := hub.NormalizeIDNumber(c.typ, c.in)
		if c.want == "" {
			if !errors.Is(err, hub.ErrIDNumber) {
				t.Errorf("%s %q: %q, %v; want ErrIDNumber", c.typ, c.in, got, err)
			}
			if err != nil && strings.Contains(err.Error(), c.in) {
				t.Errorf("the error tells the number: %v", err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s %q: %q, %v; want %q", c.typ, c.in, got, err, c.want)
		}
	}
	for in, want := range map[string]string{residentNo: "1101**********002X", "H12345678": "H1*****78", "E123": "E**3", "AB": "**"} {
		if got := hub.MaskIDNumber(in); got != want {
			t.Errorf("mask %s: %s, want %s", in, got, want)
		}
	}
	// However it is printed or logged, the number is masked.
	d := hub.IDDocument{Type: hub.IDResident, Number: residentNo}
	var log bytes.Buffer
	slog.New(slog.NewJSONHandler(&log, nil)).Info("x", "id", d)
	slog.New(slog.NewTextHandler(&log, nil)).Info("x", "id", d)
	out := fmt.Sprintf("%v %+v %#v %s %q", d, d, d, d, d) + fmt.Sprint(d) + fmt.Sprintf("%v", []hub.IDDocument{d}) + log.String()
	if strings.Contains(out, residentNo) || strings.Contains(out, "19491231") || !strings.Contains(out, "1101**********002X") {
		t.Errorf("an ID document printed or logged:\n%s", out)
	}
}

// walSegment is, on PostgreSQL, the WAL segment the server writes now: a
// later atRest reads the WAL from it on. On SQLite it is "".
func (e *env) walSegment(t *testing.T) string {
	t.Helper()
	if e.at.kind != onPostgreSQL {
		return ""
	}
	var seg string
	e.pg(t, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, "SELECT pg_walfile_name(pg_current_wal_lsn())").Scan(&seg)
	})
	return seg
}

// pg runs fn on a connection of its own to e's PostgreSQL database, as
// the test server's superuser.
func (e *env) pg(t *testing.T, fn func(*pgx.Conn) error) {
	t.Helper()
	c, err := pgx.Connect(ctx, pgtest.Start(t).URL(e.at.db))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if err := fn(c); err != nil {
		t.Fatal(err)
	}
}

// atRest is every byte e's store keeps on disk. On SQLite: its file and
// its WAL. On PostgreSQL, after a CHECKPOINT (which writes every changed
// page to the files, and the WAL before it to pg_wal): the files of e's
// database (its tables, indexes, dead rows) and the WAL from segment
// walFrom on (the server's WAL is every database's: the earlier segments
// are other tests').
func (e *env) atRest(t *testing.T, walFrom string) []byte {
	t.Helper()
	var names []string
	if e.at.kind == onPostgreSQL {
		var oid uint32
		e.pg(t, func(c *pgx.Conn) error {
			if _, err := c.Exec(ctx, "CHECKPOINT"); err != nil {
				return err
			}
			return c.QueryRow(ctx, "SELECT oid FROM pg_database WHERE datname = current_database()").Scan(&oid)
		})
		dir := pgtest.Start(t).Dir
		files, err := filepath.Glob(filepath.Join(dir, "base", strconv.FormatUint(uint64(oid), 10), "*"))
		if err != nil || len(files) == 0 {
			t.Fatalf("the database's files: %v, %v", files, err)
		}
		wal, err := filepath.Glob(filepath.Join(dir, "pg_wal", strings.Repeat("[0-9A-F]", 24)))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range wal {
			if filepath.Base(w) >= walFrom {
				files = append(files, w)
			}
		}
		names = files
	} else {
		var err error
		names, err = filepath.Glob(filepath.Join(e.dir, sqlitestore.FileName+"*"))
		if err != nil || len(names) == 0 {
			t.Fatalf("the store's files: %v, %v", names, err)
		}
	}
	var all []byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func TestIDDocumentsAreSealedAtRest(t *testing.T) {
	e := newEnv(t)
	s := newServed(e)
	wal := e.walSegment(t)
	if err := e.hub.SetIDDocument(ctx, byWang, hub.DistrictScope(), s.p.ID, hub.IDDocument{Type: hub.IDResident, Number: "11010519491231002x"}); err != nil {
		t.Fatal(err)
	}
	rec := e.record(hub.CenterScope("A"), s.p.ID, hub.RecordQuery{})
	if rec.ID == nil || rec.ID.Type != hub.IDResident || rec.ID.Masked != "1101**********002X" || rec.ID.ChangedBy != "王芳" {
		t.Fatalf("the record's ID: %+v", rec.ID)
	}
	// sealed is the person's sealed number as the store holds it.
	sealed := func() []byte {
		var s1 hub.SealedID
		if err := e.store.View(ctx, func(r hub.Reader) (err error) { s1, err = r.SealedID(s.p.ID); return err }); err != nil {
			t.Fatal(err)
		}
		return s1.Sealed
	}
	// Neither the store's files nor its WAL hold the number, in any form;
	// they do hold it sealed (the files read are the store's).
	raw := e.atRest(t, wal)
	for _, form := range []string{residentNo, "11010519491231002x", "110105", "19491231"} {
		if bytes.Contains(raw, []byte(form)) {
			t.Errorf("the store's files hold %q", form)
		}
	}
	if !bytes.Contains(raw, sealed()) {
		t.Error("the store's files do not hold the sealed number: they are not the store's")
	}
	// The key: 32 bytes, 0600, beside hub.key.
	key := filepath.Join(e.dir, hub.IDKeyFile)
	st, err := os.Stat(key)
	if err != nil || st.Mode().Perm() != 0o600 || st.Size() != 32 {
		t.Fatalf("%s: %v, %v", key, st, err)
	}
	// The audit log names the change and the type, never the number.
	a := e.auditLog()[0]
	if a.Action != hub.AuditIDSet || a.Actor != "王芳" || a.Subject != "王堃 HPL0001" || a.Detail != string(hub.IDResident) || a.Center != "" {
		t.Errorf("the audit of the change: %+v", a)
	}
	for _, a := range e.auditLog() {
		if strings.Contains(fmt.Sprint(a), "1949") {
			t.Errorf("the audit log holds the number: %+v", a)
		}
	}
	// The same number sealed again is other bytes (a new nonce).
	before := sealed()
	if err := e.hub.SetIDDocument(ctx, byWang, hub.CenterScope("A"), s.p.ID, hub.IDDocument{Type: hub.IDResident, Number: residentNo}); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(before, sealed()) {
		t.Error("the same number sealed twice gave the same bytes")
	}
	if a := e.auditLog()[0]; a.Center != "A" {
		t.Errorf("a center user's change is recorded at center %q", a.Center)
	}
	// A sealed number copied to another person's row does not open.
	other := e.person("HPL0002", "李喆", "04A1B2C4")
	if err := e.store.Update(ctx, func(tx hub.Tx) error {
		return tx.PutSealedID(hub.SealedID{Person: other.ID, Type: hub.IDResident, Sealed: sealed(), Changed: e.clk.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.ServiceRecord(ctx, hub.DistrictScope(), other.ID, hub.RecordQuery{}); err == nil {
		t.Error("a sealed number copied to another person opened")
	}
	// A wrong number, or a person outside the scope: nothing changes.
	if err := e.hub.SetIDDocument(ctx, byWang, hub.DistrictScope(), s.p.ID, hub.IDDocument{Type: hub.IDResident, Number: "110105194912310021"}); !errors.Is(err, hub.ErrIDNumber) {
		t.Errorf("a wrong check digit: %v", err)
	}
	if err := e.hub.SetIDDocument(ctx, byWang, hub.CenterScope("B"), other.ID, hub.IDDocument{Type: hub.IDPassport, Number: "E12345678"}); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("a person who never served at B, by B: %v", err)
	}
	// Deleted: gone, and recorded.
	if err := e.hub.SetIDDocument(ctx, byWang, hub.DistrictScope(), s.p.ID, hub.IDDocument{}); err != nil {
		t.Fatal(err)
	}
	if rec := e.record(hub.DistrictScope(), s.p.ID, hub.RecordQuery{}); rec.ID != nil {
		t.Errorf("a deleted ID document: %+v", rec.ID)
	}
	if a := e.auditLog()[0]; a.Action != hub.AuditIDSet || a.Detail != hub.DetailIDRemoved {
		t.Errorf("the audit of the deletion: %+v", a)
	}
}

func TestIDKeyIsKeptAndGuarded(t *testing.T) {
	e := newEnv(t)
	s := newServed(e)
	if err := e.hub.SetIDDocument(ctx, byWang, hub.DistrictScope(), s.p.ID, hub.IDDocument{Type: hub.IDResident, Number: residentNo}); err != nil {
		t.Fatal(err)
	}
	e.hub.Close()
	reopen := func() (*hub.Hub, error) {
		st := e.at.open(t)
		h, err := hub.Open(ctx, e.dir, hub.Options{Store: st, Clock: e.clk, PIN: cheapPIN, Password: cheapPIN})
		if err != nil {
			st.Close()
		}
		return h, err
	}
	h, err := reopen()
	if err != nil {
		t.Fatal(err)
	}
	rec, err := h.ServiceRecord(ctx, hub.DistrictScope(), s.p.ID, hub.RecordQuery{})
	h.Close()
	if err != nil || rec.ID == nil || rec.ID.Masked != "1101**********002X" {
		t.Fatalf("after a restart: %+v, %v", rec.ID, err)
	}
	key := filepath.Join(e.dir, hub.IDKeyFile)
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	if h, err := reopen(); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		if h != nil {
			h.Close()
		}
		t.Errorf("an ID key readable by others: %v", err)
	}
	// Another key: the record says so rather than showing nothing.
	if err := os.Chmod(key, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, bytes.Repeat([]byte{7}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	h, err = reopen()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, err := h.ServiceRecord(ctx, hub.DistrictScope(), s.p.ID, hub.RecordQuery{}); err == nil || !strings.Contains(err.Error(), "does not open") {
		t.Errorf("a number sealed under another key: %v", err)
	}
}

func (e *env) auditLog() []hub.AuditEntry {
	e.t.Helper()
	es, err := e.hub.AuditLog(ctx, hub.DistrictScope(), hub.AuditQuery{})
	if err != nil {
		e.t.Fatal(err)
	}
	return es
}

// TestAPullNeverCarriesAnIDNumber: the protocol's person has no field for
// an ID document, and a pull of everything after one was kept holds no
// trace of it.
func TestAPullNeverCarriesAnIDNumber(t *testing.T) {
	var fields []string
	for f := range reflect.TypeFor[hubsync.Person]().Fields() {
		fields = append(fields, f.Name)
	}
	// A new field here is a new thing sent to every kiosk: never an ID
	// document (it stays at the hub).
	if want := []string{"ID", "MemberNo", "Name", "Provisional", "Phone", "Community", "Kind"}; !slices.Equal(fields, want) {
		t.Errorf("hubsync.Person's fields are %v, want %v", fields, want)
	}
	e := newEnv(t)
	s := newServed(e)
	if err := e.hub.SetIDDocument(ctx, byWang, hub.DistrictScope(), s.p.ID, hub.IDDocument{Type: hub.IDResident, Number: residentNo}); err != nil {
		t.Fatal(err)
	}
	var sealed hub.SealedID
	if err := e.store.View(ctx, func(r hub.Reader) (err error) { sealed, err = r.SealedID(s.p.ID); return err }); err != nil {
		t.Fatal(err)
	}
	for _, k := range []*hubtest.Kiosk{s.a, s.b} {
		res := e.pull(k, 0)
		if len(res.People) == 0 {
			t.Fatalf("the pull of %s carries no people", k.Terminal)
		}
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		sealedJSON, _ := json.Marshal(sealed.Sealed)
		for _, form := range [][]byte{[]byte(residentNo), []byte("002X"), []byte(hub.IDResident), sealedJSON[1 : len(sealedJSON)-1]} {
			if bytes.Contains(b, form) {
				t.Errorf("the pull of %s holds %q", k.Terminal, form)
			}
		}
	}
}

func TestCertificates(t *testing.T) {
	e := newEnv(t)
	s := newServed(e)
	request := hub.CertificateRequest{Person: s.p.ID, Issuer: "A", Content: "社区环境整治"}
	issue := func(scope hub.Scope, req hub.CertificateRequest) (hub.Certificate, error) {
		return e.hub.IssueCertificate(ctx, byWang, scope, req)
	}
	if _, err := issue(hub.CenterScope("A"), request); !errors.Is(err, hub.ErrIssuerIncomplete) {
		t.Errorf("an issuer without its person in charge: %v", err)
	}
	issuers, err := e.hub.CertIssuers(ctx, hub.CenterScope("A"))
	if err != nil || len(issuers) != 1 || issuers[0].Name != "和平里党群服务中心" || issuers[0].Complete() {
		t.Errorf("A's issuers before any is set: %+v, %v", issuers, err)
	}
	if all, _ := e.hub.CertIssuers(ctx, hub.DistrictScope()); len(all) != 3 || all[0].Center != "" || all[0].Name != "" {
		t.Errorf("the district's issuers: %+v", all)
	}
	if err := e.hub.SetCertIssuer(ctx, byWang, hub.CenterScope("A"), hub.CertIssuer{Center: "B", Name: "x", Head: "x", Contact: "x"}); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("A's staff setting B's issuer: %v", err)
	}
	if err := e.hub.SetCertIssuer(ctx, byWang, hub.CenterScope("A"), hub.CertIssuer{Center: "A", Name: "和平里党群服务中心", Head: "赵敏\n", Contact: "010-6421 0000"}); err != nil {
		t.Fatal(err)
	}
	if err := e.hub.SetCertIssuer(ctx, byWang, hub.CenterScope("A"), hub.CertIssuer{Center: "A", Name: strings.Repeat("长", hub.MaxIssuerName+1), Head: "x", Contact: "x"}); !errors.Is(err, hub.ErrBadText) {
		t.Errorf("a name too long: %v", err)
	}
	if a := e.auditLog()[0]; a.Action != hub.AuditIssuerSet || a.Center != "A" || a.Subject != "和平里党群服务中心" {
		t.Errorf("the audit of the issuer: %+v", a)
	}
	if _, err := issue(hub.CenterScope("A"), request); !errors.Is(err, hub.ErrNoIDDocument) {
		t.Errorf("a person without an ID document: %v", err)
	}
	if err := e.hub.SetIDDocument(ctx, byWang, hub.DistrictScope(), s.p.ID, hub.IDDocument{Type: hub.IDResident, Number: residentNo}); err != nil {
		t.Fatal(err)
	}
	// A's staff issue as A only, and count A's service only.
	for _, issuer := range []string{"B", ""} {
		req := request
		req.Issuer = issuer
		if _, err := issue(hub.CenterScope("A"), req); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("A's staff issuing as %q: %v, want ErrNotFound", issuer, err)
		}
	}
	c, err := issue(hub.CenterScope("A"), request)
	if err != nil {
		t.Fatal(err)
	}
	wantActs := []hub.ActivityTotal{{Activity: s.cleaning, Name: "环境整治", Shifts: 1, Minutes: 120}, {Minutes: 30}}
	if c.Number != "2026-000001" || c.Minutes != 150 || c.Shifts != 1 || !slices.Equal(c.Activities, wantActs) || c.Name != "王堃" ||
		c.MemberNo != "HPL0001" || c.IDType != hub.IDResident || c.Head != "赵敏" || c.Contact != "010-6421 0000" ||
		c.IssuerName != "和平里党群服务中心" || c.IssuedBy != "王芳" || !c.IssuedAt.Equal(e.clk.Now()) || !c.From.Equal(hubtest.Start) ||
		c.Content != "社区环境整治" {
		t.Errorf("the certificate: %+v", c)
	}
	if bytes.Contains(c.SealedID, []byte(residentNo)) {
		t.Error("the certificate holds the number in clear")
	}
	if a := e.auditLog()[0]; a.Action != hub.AuditCertIssue || a.Center != "A" || a.Subject != "王堃 HPL0001" || a.Detail != "2026-000001" {
		t.Errorf("the audit of the issue: %+v", a)
	}
	// Opened for printing: the number in clear, the view recorded.
	got, d, err := e.hub.OpenCertificate(ctx, byWang, hub.CenterScope("A"), c.Number)
	if err != nil || d.Number != residentNo || d.Type != hub.IDResident || got.Number != c.Number || got.Minutes != 150 {
		t.Errorf("open %s: %+v, %v", c.Number, got, err)
	}
	if a := e.auditLog()[0]; a.Action != hub.AuditIDView || a.Actor != "王芳" || a.Center != "A" || a.Subject != "王堃 HPL0001" || a.Detail != c.Number {
		t.Errorf("the audit of the view: %+v", a)
	}
	// B's staff: not found, and nothing recorded as seen.
	n := len(e.auditLog())
	if _, _, err := e.hub.OpenCertificate(ctx, byWang, hub.CenterScope("B"), c.Number); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("B opening A's certificate: %v", err)
	}
	if len(e.auditLog()) != n {
		t.Error("a refused opening was recorded as a view")
	}
	// Changing the person's ID later leaves the certificate as issued.
	if err := e.hub.SetIDDocument(ctx, byWang, hub.DistrictScope(), s.p.ID, hub.IDDocument{Type: hub.IDPassport, Number: "E12345678"}); err != nil {
		t.Fatal(err)
	}
	if _, d, _ := e.hub.OpenCertificate(ctx, byWang, hub.DistrictScope(), c.Number); d.Number != residentNo {
		t.Errorf("the certificate's number after the person's changed: %v", d)
	}
	// The district issues as the district office: every center's service.
	if err := e.hub.SetCertIssuer(ctx, byWang, hub.DistrictScope(), hub.CertIssuer{Center: "", Name: "和平街道办事处", Head: "钱进", Contact: "010-6421 1111"}); err != nil {
		t.Fatal(err)
	}
	dc, err := issue(hub.DistrictScope(), hub.CertificateRequest{Person: s.p.ID})
	if err != nil || dc.Number != "2026-000002" || dc.Minutes != 240 || dc.Shifts != 2 || dc.IDType != hub.IDPassport {
		t.Errorf("the district's certificate: %+v, %v", dc, err)
	}
	// No service in the period: refused, and no number taken.
	far := hub.RecordQuery{From: hubtest.Start.AddDate(1, 0, 0)}
	if _, err := issue(hub.DistrictScope(), hub.CertificateRequest{Person: s.p.ID, Period: far}); !errors.Is(err, hub.ErrNoService) {
		t.Errorf("a period without service: %v", err)
	}
	// B issues for a person who served there; A's person with no B
	// service is not found by B.
	if err := e.hub.SetCertIssuer(ctx, byWang, hub.CenterScope("B"), hub.CertIssuer{Center: "B", Name: "小黄庄党群服务中心", Head: "孙", Contact: "1"}); err != nil {
		t.Fatal(err)
	}
	only := e.person("HPL0003", "周", "04A1B2C5")
	s.a.Earn(only.ID, "04A1B2C5", s.cleaning, 60, 6)
	e.pushOK(s.a)
	if err := e.hub.SetIDDocument(ctx, byWang, hub.DistrictScope(), only.ID, hub.IDDocument{Type: hub.IDTaiwan, Number: "12345678"}); err != nil {
		t.Fatal(err)
	}
	if _, err := issue(hub.CenterScope("B"), hub.CertificateRequest{Person: only.ID, Issuer: "B"}); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("B issuing for a person who never served there: %v", err)
	}
	if _, err := issue(hub.DistrictScope(), hub.CertificateRequest{Person: only.ID, Issuer: "B"}); !errors.Is(err, hub.ErrNoService) {
		t.Errorf("the district issuing as B for a person with no B service: %v", err)
	}
	// Many at once: each its own number.
	var wg sync.WaitGroup
	numbers := make([]string, 8)
	for i := range numbers {
		wg.Go(func() {
			c, err := issue(hub.CenterScope("A"), request)
			if err != nil {
				t.Error(err)
			}
			numbers[i] = c.Number
		})
	}
	wg.Wait()
	slices.Sort(numbers)
	for i, n := range numbers {
		if want := hub.CertificateNumber(2026, i+3); n != want {
			t.Errorf("concurrent certificates: %v", numbers)
			break
		}
	}
	// The register as each scope sees it; a new year starts at 1.
	reg := func(scope hub.Scope, person record.PersonID) []string {
		cs, err := e.hub.Certificates(ctx, scope, person, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.Number)
		}
		return out
	}
	if a, d, b := reg(hub.CenterScope("A"), 0), reg(hub.DistrictScope(), 0), reg(hub.CenterScope("B"), 0); len(a) != 9 || len(d) != 10 || len(b) != 0 || slices.Contains(a, "2026-000002") {
		t.Errorf("the register: A %v, district %v, B %v", a, d, b)
	}
	if none := reg(hub.Scope{}, 0); len(none) != 0 {
		t.Errorf("nobody's scope sees %v", none)
	}
	e.clk.Set(time.Date(2027, 1, 1, 0, 0, 1, 0, time.FixedZone("CST", 8*3600)))
	if c, err := issue(hub.CenterScope("A"), request); err != nil || c.Number != "2027-000001" {
		t.Errorf("the first certificate of 2027: %s, %v", c.Number, err)
	}
}

// TestServiceRecordMarksEachCorrectedTime: a kiosk whose clock was
// synced by NTP between a check-in and its check-out has only the
// check-in marked corrected.
func TestServiceRecordMarksEachCorrectedTime(t *testing.T) {
	e := newEnv(t)
	p := e.person("HPL0001", "王堃", "04A1B2C3")
	act := e.activity("A", "环境整治")
	// The Pi's clock is right but not yet confirmed by NTP.
	k := hubtest.NewKiosk("T1", "A", e.clk.Now)
	k.Trusted = false
	e.enroll(k, "A")
	in := k.CheckIn(p.ID, "04A1B2C3", act)
	e.clk.Advance(time.Hour)
	k.Trusted = true
	k.CheckOut(in, 60, 6)
	e.clk.Advance(time.Minute)
	e.pushOK(k)
	rec := e.record(hub.CenterScope("A"), p.ID, hub.RecordQuery{})
	if len(rec.Rows) != 1 {
		t.Fatalf("%d rows", len(rec.Rows))
	}
	r := rec.Rows[0]
	if !r.InCorrected || r.OutCorrected || !r.In.Equal(hubtest.Start) || !r.Out.Equal(hubtest.Start.Add(time.Hour)) {
		t.Errorf("in %v (corrected %v), out %v (corrected %v); want only the check-in corrected", r.In, r.InCorrected, r.Out, r.OutCorrected)
	}
}
