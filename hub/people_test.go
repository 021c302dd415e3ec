package hub_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
	"github.com/hongmajia/hongmajia/roster"
)

var (
	clerkA        = hub.Actor{User: "刘芳", Addr: "192.0.2.7"}
	clerkB        = hub.Actor{User: "张伟", Addr: "192.0.2.8"}
	districtActor = hub.Actor{User: "王芳", Addr: "192.0.2.9"}
	scopeA        = hub.User{Name: "刘芳", Role: hub.RoleCenter, Center: "A"}.Scope()
	scopeB        = hub.User{Name: "张伟", Role: hub.RoleCenter, Center: "B"}.Scope()
)

// form is a desk's form read as the web reads it.
func form(t *testing.T, f roster.PersonFields) roster.Person {
	t.Helper()
	p, problems := roster.CheckPerson(f)
	if len(problems) > 0 {
		t.Fatalf("form %+v: %v", f, problems)
	}
	return p
}

func (e *env) register(scope hub.Scope, by hub.Actor, center string, f roster.PersonFields) hub.Person {
	e.t.Helper()
	p, err := e.hub.RegisterPerson(ctx, scope, by, hub.Registration{Center: center, Person: form(e.t.(*testing.T), f)})
	if err != nil {
		e.t.Fatalf("register %s: %v", f.MemberNo, err)
	}
	return p
}

func fieldErr(t *testing.T, what string, err error, field hub.Field, want error) {
	t.Helper()
	var fe *hub.FieldError
	if !errors.As(err, &fe) || fe.Field != field || !errors.Is(err, want) {
		t.Errorf("%s: %v, want a FieldError of %s wrapping %v", what, err, field, want)
	}
}

// TestRegisterAtADesk: a person registered at a center's desk, with the
// card a wedge reader typed, is the center's, recorded as the clerk's, and
// reaches every kiosk at its next pull.
func TestRegisterAtADesk(t *testing.T) {
	e := newEnv(t)
	kb := e.kiosk("TB", "B")
	since := e.pull(kb, 0).Version
	p := e.register(scopeA, clerkA, "A", roster.PersonFields{Name: "王堃", MemberNo: "hpl0001", Kind: "红马甲", Phone: "138 1234 5678",
		Community: "和平里社区", Card: "0077705923"})
	if p.Center != "A" || p.MemberNo != "HPL0001" || p.Phone != "13812345678" || p.Kind != record.RedVest || p.Version <= since {
		t.Errorf("registered %+v", p)
	}
	if a := e.lastAudit(); a.Action != hub.AuditPersonRegister || a.Actor != "刘芳" || a.Addr != "192.0.2.7" || a.Center != "A" ||
		a.Subject != "HPL0001" || a.Detail != "04A1B2C3" {
		t.Errorf("audit %+v", a)
	}
	pl := e.pull(kb, since)
	if len(pl.People) != 1 || pl.People[0].MemberNo != "HPL0001" || len(pl.Cards) != 1 ||
		pl.Cards[0] != (hubsync.Card{UID: "04A1B2C3", Person: p.ID, State: hubsync.CardActive}) {
		t.Errorf("a kiosk of B pulled people %+v cards %+v", pl.People, pl.Cards)
	}

	// Refused: another center's desk, the district's list, a member
	// number or a card held, a staff card, a form the rules refuse.
	reg := func(scope hub.Scope, center string, f roster.PersonFields) error {
		_, err := e.hub.RegisterPerson(ctx, scope, clerkA, hub.Registration{Center: center, Person: form(t, f)})
		return err
	}
	fresh := roster.PersonFields{Name: "李四", MemberNo: "HPL0002", Kind: "绿马甲"}
	fieldErr(t, "A's clerk at B", reg(scopeA, "B", fresh), hub.FieldCenter, hub.ErrNotFound)
	fieldErr(t, "A's clerk for the district", reg(scopeA, "", fresh), hub.FieldCenter, hub.ErrNotFound)
	fieldErr(t, "no such center", reg(hub.DistrictScope(), "Z", fresh), hub.FieldCenter, hub.ErrNotFound)
	fieldErr(t, "a member number held", reg(scopeA, "A", roster.PersonFields{Name: "李四", MemberNo: "HPL0001", Kind: "绿马甲"}),
		hub.FieldMemberNo, hub.ErrExists)
	fieldErr(t, "a card held", reg(scopeA, "A", roster.PersonFields{Name: "李四", MemberNo: "HPL0002", Kind: "绿马甲", Card: "04:a1:b2:c3"}),
		hub.FieldCard, hub.ErrExists)
	if _, err := e.hub.AddStaff(ctx, hub.AddStaff{Center: "B", UID: "5AF00001", Name: "站长", PIN: "2580"}); err != nil {
		t.Fatal(err)
	}
	fieldErr(t, "a staff card", reg(scopeA, "A", roster.PersonFields{Name: "李四", MemberNo: "HPL0002", Kind: "绿马甲", Card: "5AF00001"}),
		hub.FieldCard, hub.ErrExists)
	_, err := e.hub.RegisterPerson(ctx, scopeA, clerkA, hub.Registration{Center: "A", Person: roster.Person{MemberNo: "HPL0002", Kind: record.GreenVest}})
	fieldErr(t, "no name", err, hub.FieldName, record.ErrInvalid)
	_, err = e.hub.RegisterPerson(ctx, scopeA, clerkA, hub.Registration{Center: "A", Person: roster.Person{Name: "李四", MemberNo: "HPL0002"}})
	fieldErr(t, "no kind", err, hub.FieldKind, record.ErrInvalid)
	if a := e.lastAudit(); a.Subject != "HPL0001" {
		t.Errorf("a refusal was recorded: %+v", a)
	}
	// The district registers at any center, or as its own.
	d := e.register(hub.DistrictScope(), districtActor, "", roster.PersonFields{Name: "赵敏", MemberNo: "QX0001", Kind: "双报到"})
	if d.Center != "" {
		t.Errorf("the districtActor's person at %q", d.Center)
	}
}

// TestCardsAtADesk: bind, report lost, replace; each a version the kiosks
// pull, recorded; another center's person is not there.
func TestCardsAtADesk(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("TA", "A")
	p := e.register(scopeA, clerkA, "A", roster.PersonFields{Name: "王堃", MemberNo: "HPL0001", Kind: "红马甲"})
	other := e.register(scopeB, clerkB, "B", roster.PersonFields{Name: "李四", MemberNo: "XHZ0001", Kind: "绿马甲"})
	since := e.pull(k, 0).Version

	if _, err := e.hub.BindCard(ctx, scopeA, clerkA, other.ID, "04A1B2C3"); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("A's clerk binds a card to B's person: %v, want ErrNotFound", err)
	}
	if _, err := e.hub.BindCard(ctx, scopeA, clerkA, p.ID, "04a1b2c3"); !errors.Is(err, record.ErrBadUID) {
		t.Errorf("a card not normalised: %v", err)
	}
	c, err := e.hub.BindCard(ctx, scopeA, clerkA, p.ID, "04A1B2C3")
	if err != nil || c.State != hubsync.CardActive || c.Version <= since {
		t.Fatalf("bind: %+v, %v", c, err)
	}
	if a := e.lastAudit(); a.Action != hub.AuditCardBind || a.Actor != "刘芳" || a.Subject != "HPL0001" || a.Detail != "04A1B2C3" || a.Center != "A" {
		t.Errorf("audit %+v", a)
	}
	_, err = e.hub.BindCard(ctx, scopeA, clerkA, p.ID, "04A1B2C4")
	fieldErr(t, "a second card", err, hub.FieldCard, hub.ErrHasCard)
	_, err = e.hub.BindCard(ctx, hub.DistrictScope(), districtActor, other.ID, "04A1B2C3")
	fieldErr(t, "a card held", err, hub.FieldCard, hub.ErrExists)

	if _, err := e.hub.ReportCardLost(ctx, scopeB, clerkB, p.ID, "04A1B2C3"); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("B's clerk reports A's person's card lost: %v", err)
	}
	if _, err := e.hub.ReportCardLost(ctx, hub.DistrictScope(), districtActor, other.ID, "04A1B2C3"); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("a card reported lost under another person: %v", err)
	}
	lost, err := e.hub.ReportCardLost(ctx, scopeA, clerkA, p.ID, "04A1B2C3")
	if err != nil || lost.State != hubsync.CardLost || lost.Version <= c.Version {
		t.Fatalf("lost: %+v, %v", lost, err)
	}
	if a := e.lastAudit(); a.Action != hub.AuditCardLost || a.Detail != "04A1B2C3" {
		t.Errorf("audit %+v", a)
	}
	if again, err := e.hub.ReportCardLost(ctx, scopeA, clerkA, p.ID, "04A1B2C3"); err != nil || again.Version != lost.Version {
		t.Errorf("lost twice: %+v, %v", again, err)
	}
	lostAudits := 0
	for _, a := range e.audit() {
		if a.Action == hub.AuditCardLost {
			lostAudits++
		}
	}
	if lostAudits != 1 {
		t.Errorf("%d lost reports recorded, want 1", lostAudits)
	}
	pl := e.pull(k, since)
	if len(pl.Cards) != 1 || pl.Cards[0].State != hubsync.CardLost {
		t.Errorf("the kiosk pulled %+v", pl.Cards)
	}

	// With the lost card, a new one may be bound or it replaced.
	n, err := e.hub.ReplaceCard(ctx, scopeA, clerkA, p.ID, "04A1B2C3", "0A0B0C0D")
	if err != nil || n.State != hubsync.CardActive || n.Person != p.ID {
		t.Fatalf("replace: %+v, %v", n, err)
	}
	if a := e.lastAudit(); a.Action != hub.AuditCardReplace || a.Detail != "04A1B2C3 → 0A0B0C0D" {
		t.Errorf("audit %+v", a)
	}
	// Replacing a card in use makes it lost.
	if _, err := e.hub.ReplaceCard(ctx, scopeA, clerkA, p.ID, "0A0B0C0D", "04A1B2C3"); !errors.Is(err, hub.ErrExists) {
		t.Errorf("replaced by a card held: %v", err)
	}
	if _, err := e.hub.ReplaceCard(ctx, scopeA, clerkA, p.ID, "0A0B0C0D", "11223344"); err != nil {
		t.Fatal(err)
	}
	v, err := e.hub.ViewPerson(ctx, scopeA, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	states := map[record.CardUID]string{}
	for _, c := range v.Cards {
		states[c.UID] = c.State
	}
	if len(states) != 3 || states["04A1B2C3"] != hubsync.CardLost || states["0A0B0C0D"] != hubsync.CardLost || states["11223344"] != hubsync.CardActive {
		t.Errorf("cards %v", states)
	}
}

// TestWhatACenterSeesOfAnotherCentersPerson: the masked name, the member
// number, the kind and the center; never the phone, community, cards or
// balance; found by the member number or the card only.
func TestWhatACenterSeesOfAnotherCentersPerson(t *testing.T) {
	e := newEnv(t)
	p := e.register(scopeA, clerkA, "A", roster.PersonFields{Name: "欧阳娜娜", MemberNo: "HPL0001", Kind: "红马甲", Phone: "13812345678",
		Community: "和平里社区", Card: "04A1B2C3"})
	mine, err := e.hub.ViewPerson(ctx, scopeA, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !mine.Full || mine.Name != "欧阳娜娜" || mine.Phone != "138****5678" || mine.Community != "和平里社区" || len(mine.Cards) != 1 ||
		mine.CenterName != "和平里党群服务中心" {
		t.Errorf("A's clerk sees %+v", mine)
	}
	theirs, err := e.hub.ViewPerson(ctx, scopeB, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if theirs.Full || theirs.Name != "欧**娜" || theirs.Phone != "" || theirs.Community != "" || theirs.Cards != nil ||
		theirs.MemberNo != "HPL0001" || theirs.Kind != record.RedVest || theirs.CenterName != "和平里党群服务中心" {
		t.Errorf("B's clerk sees %+v", theirs)
	}
	search := func(scope hub.Scope, text string) []hub.PersonView {
		t.Helper()
		vs, _, err := e.hub.SearchPeople(ctx, scope, text)
		if err != nil {
			t.Fatal(err)
		}
		return vs
	}
	for _, text := range []string{"欧阳", "HPL", "5678", "0077705923", "04:A1:B2:C3", "hpl0001"} {
		if vs := search(scopeA, text); len(vs) != 1 || vs[0].ID != p.ID || !vs[0].Full {
			t.Errorf("A's clerk searching %q: %+v", text, vs)
		}
	}
	for _, text := range []string{"欧阳", "HPL", "5678", "HPL000"} {
		if vs := search(scopeB, text); len(vs) != 0 {
			t.Errorf("B's clerk searching %q found %+v", text, vs)
		}
	}
	for _, text := range []string{"HPL0001", "0077705923", "04a1b2c3"} {
		if vs := search(scopeB, text); len(vs) != 1 || vs[0].Full || vs[0].Name != "欧**娜" || vs[0].Phone != "" {
			t.Errorf("B's clerk searching %q: %+v", text, vs)
		}
	}
	if vs := search(hub.DistrictScope(), "娜娜"); len(vs) != 1 || !vs[0].Full || vs[0].Phone != "138****5678" {
		t.Errorf("the districtActor searching: %+v", vs)
	}
	if vs := search(hub.Scope{}, "HPL0001"); len(vs) != 1 || vs[0].Full {
		t.Errorf("the zero scope: %+v", vs)
	}
}

func TestSearchSaysWhenThereAreMore(t *testing.T) {
	e := newEnv(t)
	var rows []roster.Person
	for i := range hub.MaxResults + 5 {
		rows = append(rows, roster.Person{MemberNo: "HPL" + string(rune('A'+i/26)) + string(rune('A'+i%26)), Name: "王某", Kind: record.GreenVest})
	}
	if _, err := e.hub.ImportPeopleAt(ctx, scopeA, clerkA, "A", rows, false); err != nil {
		t.Fatal(err)
	}
	vs, more, err := e.hub.SearchPeople(ctx, scopeA, "王")
	if err != nil || len(vs) != hub.MaxResults || !more {
		t.Errorf("%d people, more %t, %v", len(vs), more, err)
	}
	vs, more, _ = e.hub.SearchPeople(ctx, scopeA, "HPLA")
	if len(vs) != 26 || more || vs[0].MemberNo != "HPLAA" {
		t.Errorf("HPLA: %d people, more %t", len(vs), more)
	}
}

func TestMaskName(t *testing.T) {
	for in, want := range map[string]string{"张三明": "张*明", "欧阳娜娜": "欧**娜", "王堃": "王*", "李": "李", "": "", "Anna Li": "A*** L*"} {
		if got := hub.MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestImportAtACenter: all or none, the rows the center's, recorded.
func TestImportAtACenter(t *testing.T) {
	e := newEnv(t)
	e.register(scopeA, clerkA, "A", roster.PersonFields{Name: "王堃", MemberNo: "HPL0001", Kind: "红马甲", Card: "04A1B2C3"})
	rows := []roster.Person{
		{Line: 2, MemberNo: "HPL0002", Name: "李四", Kind: record.GreenVest},
		{Line: 3, MemberNo: "HPL0001", Name: "王五", Kind: record.GreenVest},
		{Line: 4, MemberNo: "HPL0003", Name: "赵六", Kind: record.GreenVest, Card: "04A1B2C3"},
	}
	_, err := e.hub.ImportPeopleAt(ctx, scopeA, clerkA, "A", rows, true)
	var ie *hub.ImportError
	if !errors.As(err, &ie) || len(ie.Rows) != 2 || ie.Rows[0].Row != 1 || ie.Rows[0].Field != hub.FieldMemberNo || ie.Rows[1].Row != 2 || ie.Rows[1].Field != hub.FieldCard {
		t.Fatalf("a dry run of bad rows: %v (%+v)", err, ie)
	}
	if _, err := e.hub.ImportPeopleAt(ctx, scopeA, clerkA, "A", rows, false); !errors.As(err, &ie) {
		t.Fatalf("bad rows: %v", err)
	}
	if vs, _, _ := e.hub.SearchPeople(ctx, scopeA, "李四"); len(vs) != 0 {
		t.Error("a refused import kept a row")
	}
	if _, err := e.hub.ImportPeopleAt(ctx, scopeA, clerkA, "B", rows[:1], false); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("A's clerk imports at B: %v", err)
	}
	bad := []roster.Person{{MemberNo: "HPL0009", Name: "<b>", Kind: 9}}
	if _, err := e.hub.ImportPeopleAt(ctx, scopeA, clerkA, "A", bad, false); !errors.As(err, &ie) || ie.Rows[0].Field != hub.FieldKind {
		t.Errorf("a row the rules refuse: %v", err)
	}
	res, err := e.hub.ImportPeopleAt(ctx, scopeA, clerkA, "A", rows[:1], true)
	if err != nil || res.People != 1 {
		t.Fatalf("dry: %+v, %v", res, err)
	}
	if vs, _, _ := e.hub.SearchPeople(ctx, scopeA, "李四"); len(vs) != 0 {
		t.Error("a dry run kept a row")
	}
	if res, err := e.hub.ImportPeopleAt(ctx, scopeA, clerkA, "A", rows[:1], false); err != nil || res.People != 1 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	vs, _, _ := e.hub.SearchPeople(ctx, scopeA, "李四")
	if len(vs) != 1 || vs[0].Center != "A" {
		t.Errorf("imported %+v", vs)
	}
	if a := e.lastAudit(); a.Action != hub.AuditPeopleImport || a.Actor != "刘芳" || a.Center != "A" || a.Subject != "1" {
		t.Errorf("audit %+v", a)
	}
}

// TestMergeAWalkInAtItsCenter: a kiosk's walk-in is its center's; that
// center's clerk merges it into a registration there, its points with it.
func TestMergeAWalkInAtItsCenter(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("TA", "A")
	const walkIn = record.PersonID(777)
	k.AddChange(&hubsync.Person{ID: walkIn, MemberNo: "W-0777", Provisional: true, Kind: record.Resident},
		&hubsync.Card{UID: "0A0B0C0D", Person: walkIn, State: hubsync.CardActive})
	k.Earn(walkIn, "0A0B0C0D", 1, 180, 30)
	e.pushOK(k)
	reg := e.register(scopeA, clerkA, "A", roster.PersonFields{Name: "王堃", MemberNo: "HPL0001", Kind: "红马甲"})
	theirs := e.register(scopeB, clerkB, "B", roster.PersonFields{Name: "李四", MemberNo: "XHZ0001", Kind: "绿马甲"})

	ws, err := e.hub.WalkIns(ctx, scopeA)
	if err != nil || len(ws) != 1 || ws[0].ID != walkIn || ws[0].Center != "A" || ws[0].Balance.Points != 30 || len(ws[0].Cards) != 1 {
		t.Fatalf("A's walk-ins: %+v, %v", ws, err)
	}
	if ws, _ := e.hub.WalkIns(ctx, scopeB); len(ws) != 0 {
		t.Errorf("B's clerk sees A's walk-ins: %+v", ws)
	}
	for what, err := range map[string]error{
		"B's clerk":                 e.hub.MergeWalkIn(ctx, scopeB, clerkB, walkIn, theirs.ID),
		"into another center's":     e.hub.MergeWalkIn(ctx, scopeA, clerkA, walkIn, theirs.ID),
		"a registration into one":   e.hub.MergeWalkIn(ctx, scopeA, clerkA, reg.ID, walkIn),
		"into itself":               e.hub.MergeWalkIn(ctx, scopeA, clerkA, walkIn, walkIn),
		"a person that is not here": e.hub.MergeWalkIn(ctx, scopeA, clerkA, 5, reg.ID),
	} {
		if err == nil {
			t.Errorf("%s: merged", what)
		}
	}
	if err := e.hub.MergeWalkIn(ctx, scopeA, clerkA, reg.ID, walkIn); !errors.Is(err, hub.ErrNotWalkIn) {
		t.Errorf("a registration merged into a walk-in: %v", err)
	}
	if err := e.hub.MergeWalkIn(ctx, scopeA, clerkA, walkIn, reg.ID); err != nil {
		t.Fatal(err)
	}
	if b := e.balance(reg.ID); b.Points != 30 || b.Minutes != 180 {
		t.Errorf("the registration's balance %+v", b)
	}
	if len(e.flags(hub.FlagWalkIn)) != 0 {
		t.Error("the walk-in's flag is open")
	}
	if ws, _ := e.hub.WalkIns(ctx, scopeA); len(ws) != 0 {
		t.Errorf("walk-ins after the merge: %+v", ws)
	}
	if a := e.lastAudit(); a.Action != hub.AuditPersonMerge || a.Actor != "刘芳" || a.Subject != "W-0777" || a.Detail != "HPL0001" || a.Center != "A" {
		t.Errorf("audit %+v", a)
	}
	if err := e.hub.MergeWalkIn(ctx, scopeA, clerkA, walkIn, reg.ID); !errors.Is(err, hub.ErrMerged) {
		t.Errorf("merged twice: %v", err)
	}
	v, err := e.hub.ViewPerson(ctx, scopeA, walkIn)
	if err != nil || v.MergedInto != reg.ID {
		t.Errorf("the walk-in after the merge: %+v, %v", v, err)
	}
	if vs, _, _ := e.hub.SearchPeople(ctx, scopeA, "W-0777"); len(vs) != 0 {
		t.Errorf("a merged walk-in is found: %+v", vs)
	}
	// Its card is the registration's now, and found as such.
	if vs, _, _ := e.hub.SearchPeople(ctx, scopeA, "0A0B0C0D"); len(vs) != 1 || vs[0].ID != reg.ID {
		t.Errorf("the walk-in's card finds %+v", vs)
	}
	if !slices.ContainsFunc(e.audit(), func(a hub.AuditEntry) bool { return a.Action == hub.AuditPersonRegister && a.Actor == "张伟" }) {
		t.Error("B's registration is not recorded")
	}
}
