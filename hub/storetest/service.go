package storetest

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/record"
)

// The service record's part of the contract: a person's entries, finding
// people, sealed ID documents, certificate issuers and the register.

// testPersonEntries: every entry of the persons asked for, once, in hub
// time order (a corrected time where there is one), whatever the order
// and repeats of the list.
func testPersonEntries(t *testing.T, s hub.Store) {
	at := func(m int) time.Time { return hubtest.Start.Add(time.Duration(m) * time.Minute).UTC() }
	mk := func(terminal string, seq uint64, person record.PersonID, m int) hub.StoredEntry {
		e := entry(terminal, seq, record.Hash{})
		e.Person, e.At = person, at(m)
		var err error
		if e.Raw, err = e.Encode(); err != nil {
			panic(err)
		}
		return e
	}
	late := mk("T2", 1, 2, 0) // its clock was off: corrected to minute 30
	late.Trusted = false
	late.Raw, _ = late.Encode()
	late.Corrected = at(30)
	entries := []hub.StoredEntry{mk("T1", 1, 1, 10), mk("T1", 2, 3, 15), mk("T1", 3, 1, 40), late, mk("T2", 2, 2, 20), mk("T3", 1, 1, 20)}
	update(t, s, func(tx hub.Tx) error {
		for _, e := range entries {
			if _, err := tx.AddEntry(e); err != nil {
				return err
			}
		}
		return nil
	})
	var got []hub.StoredEntry
	err := s.View(ctx, func(r hub.Reader) (err error) {
		got, err = r.PersonEntries([]record.PersonID{2, 1, 2, 9})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, e := range got {
		order = append(order, e.Terminal+"/"+string(rune('0'+e.Seq)))
	}
	// 10 T1/1, 20 T2/2 and T3/1 (same time: by terminal), 30 T2/1
	// (corrected), 40 T1/3; person 3 left out.
	want := []string{"T1/1", "T2/2", "T3/1", "T2/1", "T1/3"}
	if !slices.Equal(order, want) {
		t.Errorf("entries of 2 and 1: %v, want %v", order, want)
	}
	if len(got) == 5 && !got[3].Corrected.Equal(at(30)) {
		t.Errorf("the corrected entry's time: %v", got[3].Corrected)
	}
	err = s.View(ctx, func(r hub.Reader) error {
		none, err := r.PersonEntries(nil)
		if err != nil || len(none) != 0 {
			t.Errorf("entries of nobody: %d, %v", len(none), err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testFindPeople: by part of a name (LIKE's wildcards taken as they are),
// member number, id or card; a merged id left out; with a center, only
// those with an entry there, under their own id or a merged one.
func testFindPeople(t *testing.T, s hub.Store) {
	people := []hub.Person{
		{ID: 1, MemberNo: "M001", Name: "张三", Version: 1},
		{ID: 2, MemberNo: "M002", Name: "张三丰", Version: 2},
		{ID: 3, MemberNo: "M003", Name: "李四_%", Version: 3},
		{ID: 4, MemberNo: "W004", Name: "张三", Provisional: true, Version: 4}, // merged into 1
		{ID: 5, MemberNo: "M005", Name: "王五", Version: 5},
	}
	update(t, s, func(tx hub.Tx) error {
		for _, p := range people {
			if err := tx.AddPerson(p); err != nil {
				return err
			}
		}
		if err := tx.PutAlias(hub.Alias{From: 4, To: 1, Version: 6}); err != nil {
			return err
		}
		if err := tx.PutCard(hub.Card{UID: "04A1B2C3", Person: 5, State: "active", Version: 7}); err != nil {
			return err
		}
		// 4 (merged into 1) served at A; 2 at B.
		for i, e := range []struct {
			p      record.PersonID
			center string
		}{{4, "A"}, {2, "B"}} {
			en := entry("T1", uint64(i+1), record.Hash{})
			en.Person, en.HubCenter = e.p, e.center
			en.Raw, _ = en.Encode()
			if _, err := tx.AddEntry(en); err != nil {
				return err
			}
		}
		return nil
	})
	find := func(text, center string) []record.PersonID {
		t.Helper()
		var ps []hub.Person
		err := s.View(ctx, func(r hub.Reader) (err error) {
			ps, err = r.FindPeople(hub.FindQuery{Text: text, Center: center, Limit: 10})
			return err
		})
		if err != nil {
			t.Fatalf("find %q: %v", text, err)
		}
		var ids []record.PersonID
		for _, p := range ps {
			ids = append(ids, p.ID)
		}
		return ids
	}
	for _, c := range []struct {
		text, center string
		want         []record.PersonID
	}{
		{"张三", "", []record.PersonID{1, 2}}, // by name; 4 merged
		{"m002", "", []record.PersonID{2}},  // member number, any case
		{"W004", "", nil},                   // a merged id's
		{"5", "", []record.PersonID{5}},     // person id
		{"04a1b2c3", "", []record.PersonID{5}},
		{"张%", "", nil}, // % is no wildcard
		{"_%", "", []record.PersonID{3}},
		{"张三", "A", []record.PersonID{1}}, // served at A as 4
		{"张三", "B", []record.PersonID{2}},
		{"王五", "A", nil},
		{"", "", nil},
	} {
		if got := find(c.text, c.center); !slices.Equal(got, c.want) {
			t.Errorf("find %q at %q: %v, want %v", c.text, c.center, got, c.want)
		}
	}
	var limited []hub.Person
	_ = s.View(ctx, func(r hub.Reader) (err error) {
		limited, err = r.FindPeople(hub.FindQuery{Text: "张", Limit: 1})
		return err
	})
	if len(limited) != 1 {
		t.Errorf("limit 1 found %d", len(limited))
	}
}

// testSealedIDs: a sealed ID document is kept as given, replaced whole,
// and deleted.
func testSealedIDs(t *testing.T, s hub.Store) {
	first := hub.SealedID{Person: 7, Type: hub.IDResident, Sealed: []byte{1, 2, 3}, Changed: hubtest.Start.UTC(), ChangedBy: "王芳"}
	update(t, s, func(tx hub.Tx) error { return tx.PutSealedID(first) })
	read := func() (hub.SealedID, error) {
		var got hub.SealedID
		err := s.View(ctx, func(r hub.Reader) (err error) { got, err = r.SealedID(7); return err })
		return got, err
	}
	if got, err := read(); err != nil || got.Type != first.Type || !bytes.Equal(got.Sealed, first.Sealed) || !got.Changed.Equal(first.Changed) || got.ChangedBy != "王芳" {
		t.Errorf("sealed ID: %+v, %v", got, err)
	}
	second := hub.SealedID{Person: 7, Type: hub.IDPassport, Sealed: []byte{9}, Changed: hubtest.Start.Add(time.Hour).UTC(), ChangedBy: "刘芳"}
	update(t, s, func(tx hub.Tx) error { return tx.PutSealedID(second) })
	if got, err := read(); err != nil || got.Type != hub.IDPassport || !bytes.Equal(got.Sealed, []byte{9}) || got.ChangedBy != "刘芳" {
		t.Errorf("sealed ID replaced: %+v, %v", got, err)
	}
	update(t, s, func(tx hub.Tx) error {
		if err := tx.DeleteSealedID(7); err != nil {
			return err
		}
		return tx.DeleteSealedID(8) // none: no error
	})
	if _, err := read(); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("a deleted sealed ID: %v, want ErrNotFound", err)
	}
}

// testCertificates: issuers put whole; the register appends with
// increasing ids, refuses a held number or year and seq, knows each
// year's last seq, and pages newest first by issuer and person.
func testCertificates(t *testing.T, s hub.Store) {
	update(t, s, func(tx hub.Tx) error {
		return tx.PutCertIssuer(hub.CertIssuer{Center: "", Name: "街道办", Head: "赵", Contact: "1", Changed: hubtest.Start.UTC(), ChangedBy: "王芳"})
	})
	update(t, s, func(tx hub.Tx) error {
		return tx.PutCertIssuer(hub.CertIssuer{Center: "", Name: "街道办事处", Head: "钱", Contact: "2", Changed: hubtest.Start.UTC(), ChangedBy: "王芳"})
	})
	err := s.View(ctx, func(r hub.Reader) error {
		if ci, err := r.CertIssuer(""); err != nil || ci.Name != "街道办事处" || ci.Head != "钱" || ci.Contact != "2" || ci.ChangedBy != "王芳" {
			t.Errorf("issuer: %+v, %v", ci, err)
		}
		if _, err := r.CertIssuer("A"); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("an issuer never set: %v", err)
		}
		if n, err := r.LastCertificateSeq(2026); err != nil || n != 0 {
			t.Errorf("last seq of an empty register: %d, %v", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cert := func(year, seq int, issuer string, person record.PersonID) hub.Certificate {
		return hub.Certificate{ID: 999, Number: hub.CertificateNumber(year, seq), Year: year, Seq: seq, Issuer: issuer,
			IssuerName: "中心" + issuer, Head: "赵", Contact: "010", Person: person, Name: "张三", MemberNo: "M001",
			IDType: hub.IDResident, SealedID: []byte{byte(seq)}, From: hubtest.Start.UTC(), To: hubtest.Start.Add(48 * time.Hour).UTC(),
			Minutes: 90 * int64(seq), Shifts: seq, Activities: []hub.ActivityTotal{{Activity: 3, Name: "助老", Shifts: seq, Minutes: 90}},
			Content: "助老服务", IssuedBy: "刘芳", IssuedAt: hubtest.Start.Add(time.Duration(seq) * time.Hour).UTC()}
	}
	all := []hub.Certificate{cert(2025, 1, "A", 1), cert(2026, 1, "A", 1), cert(2026, 2, "B", 2), cert(2026, 3, "A", 2), cert(2026, 4, "", 1)}
	for _, c := range all {
		update(t, s, func(tx hub.Tx) error { return tx.AddCertificate(c) })
	}
	for _, c := range []hub.Certificate{cert(2026, 2, "A", 1), func() hub.Certificate { c := cert(2026, 5, "A", 1); c.Number = all[0].Number; return c }()} {
		err := s.Update(ctx, func(tx hub.Tx) error { return tx.AddCertificate(c) })
		if !errors.Is(err, hub.ErrExists) {
			t.Errorf("certificate %s (%d/%d) again: %v, want ErrExists", c.Number, c.Year, c.Seq, err)
		}
	}
	page := func(q hub.CertificateQuery) []string {
		t.Helper()
		var cs []hub.Certificate
		if err := s.View(ctx, func(r hub.Reader) (err error) { cs, err = r.Certificates(q); return err }); err != nil {
			t.Fatal(err)
		}
		var out []string
		for i, c := range cs {
			if i > 0 && c.ID >= cs[i-1].ID {
				t.Errorf("certificate %s has id %d after id %d: not newest first", c.Number, c.ID, cs[i-1].ID)
			}
			out = append(out, c.Number)
		}
		return out
	}
	for _, c := range []struct {
		q    hub.CertificateQuery
		want []string
	}{
		{hub.CertificateQuery{AnyIssuer: true}, []string{"2026-000004", "2026-000003", "2026-000002", "2026-000001", "2025-000001"}},
		{hub.CertificateQuery{Issuer: "A"}, []string{"2026-000003", "2026-000001", "2025-000001"}},
		{hub.CertificateQuery{Issuer: ""}, []string{"2026-000004"}},
		{hub.CertificateQuery{AnyIssuer: true, Person: 2}, []string{"2026-000003", "2026-000002"}},
		{hub.CertificateQuery{Issuer: "A", Person: 1, Limit: 1}, []string{"2026-000001"}},
	} {
		if got := page(c.q); !slices.Equal(got, c.want) {
			t.Errorf("certificates %+v: %v, want %v", c.q, got, c.want)
		}
	}
	first := page(hub.CertificateQuery{AnyIssuer: true, Limit: 2})
	var cs []hub.Certificate
	err = s.View(ctx, func(r hub.Reader) (err error) {
		c, err := r.Certificate(first[1])
		if err != nil {
			return err
		}
		cs, err = r.Certificates(hub.CertificateQuery{AnyIssuer: true, Before: c.ID})
		return err
	})
	if err != nil || len(cs) != 3 || cs[0].Number != "2026-000002" {
		t.Errorf("the page before %s: %d, %v", first[1], len(cs), err)
	}
	err = s.View(ctx, func(r hub.Reader) error {
		got, err := r.Certificate("2026-000003")
		if err != nil {
			return err
		}
		want := cert(2026, 3, "A", 2)
		want.ID = got.ID
		if !certEqual(got, want) {
			t.Errorf("certificate read back:\n%+v\nwant\n%+v", got, want)
		}
		if _, err := r.Certificate("2026-000099"); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("a certificate not issued: %v", err)
		}
		if n, err := r.LastCertificateSeq(2026); err != nil || n != 4 {
			t.Errorf("last seq of 2026: %d, %v", n, err)
		}
		if n, err := r.LastCertificateSeq(2025); err != nil || n != 1 {
			t.Errorf("last seq of 2025: %d, %v", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func certEqual(a, b hub.Certificate) bool {
	return a.ID == b.ID && a.Number == b.Number && a.Year == b.Year && a.Seq == b.Seq && a.Issuer == b.Issuer &&
		a.IssuerName == b.IssuerName && a.Head == b.Head && a.Contact == b.Contact && a.Person == b.Person &&
		a.Name == b.Name && a.MemberNo == b.MemberNo && a.IDType == b.IDType && bytes.Equal(a.SealedID, b.SealedID) &&
		a.From.Equal(b.From) && a.To.Equal(b.To) && a.Minutes == b.Minutes && a.Shifts == b.Shifts &&
		slices.Equal(a.Activities, b.Activities) && a.Content == b.Content && a.IssuedBy == b.IssuedBy && a.IssuedAt.Equal(b.IssuedAt)
}
