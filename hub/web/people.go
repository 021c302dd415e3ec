package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
	"github.com/hongmajia/hongmajia/roster"
)

// The 注册登记 section: find a person, register one, bind, report lost and
// replace cards, import a list (people_import.go), merge a walk-in
// (people_merge.go). What a user sees of a person and may change is the
// hub's to decide (hub.ViewPerson, hub.SearchPeople: another center's
// person shows masked, and a change to one is not found).
//
// A USB reader at the desk is a keyboard: a tap types the card's UID into
// the focused field and presses Enter. The card field of each form is an
// ordinary text field, and Enter sends its form: on a person's page the
// card field has the focus, so a tap binds the card. The search field has
// it on the section's page, so a tap finds the card's holder.

// peopleRoutes are the section's paths (the import's upload has its own
// route, with a larger body limit: routes).
func (w *Web) peopleRoutes(r chi.Router) {
	r.Get("/people", w.page(w.peopleSearch))
	r.Get("/people/new", w.page(w.personNew))
	r.Post("/people/new", w.page(w.personRegister))
	r.Get("/people/import", w.page(w.importForm))
	r.Post("/people/import/commit", w.page(w.importCommit))
	r.Get("/people/walkins", w.page(w.walkIns))
	r.Get("/people/walkins/{id}", w.page(w.mergeForm))
	r.Post("/people/walkins/{id}", w.page(w.merge))
	r.Get("/people/{id}", w.page(w.personPage))
	r.Post("/people/{id}/card", w.page(w.personCard))
	r.Get("/people/{id}/lost", w.page(w.lostConfirm))
	r.Post("/people/{id}/lost", w.page(w.lostReport))
}

// kindKeys are the catalog's words of each volunteer kind, in the order a
// form offers them.
var kindKeys = []struct {
	Kind record.VolunteerKind
	Key  string
}{
	{record.RedVest, "kind.red-vest"},
	{record.GreenVest, "kind.green-vest"},
	{record.InService, "kind.in-service"},
	{record.Resident, "kind.resident"},
}

func (p *Page) kindName(k record.VolunteerKind) string {
	for _, kk := range kindKeys {
		if kk.Kind == k {
			return p.T(kk.Key)
		}
	}
	return k.String()
}

var cardStateKeys = map[string]string{
	hubsync.CardActive:  "card.state.active",
	hubsync.CardLost:    "card.state.lost",
	hubsync.CardRevoked: "card.state.revoked",
}

// personID is the person of the URL's {id}: not found when it is not a
// number.
func personID(p *Page) (record.PersonID, error) {
	id, err := strconv.ParseInt(chi.URLParam(p.R, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return record.PersonID(id), nil
}

func personPath(id record.PersonID) string { return "/people/" + strconv.FormatInt(int64(id), 10) }

// ---- the search

type searchView struct {
	Query   string
	Asked   bool
	Rows    []personRow
	More    bool
	WalkIns int
}

// personRow is a person in a list.
type personRow struct {
	ID, Path, Name, MemberNo, Kind, Phone, Cards, Center string
	Full, WalkIn                                         bool
}

func (p *Page) personRow(v hub.PersonView) personRow {
	r := personRow{ID: strconv.FormatInt(int64(v.ID), 10), Path: personPath(v.ID), Name: v.Name, MemberNo: v.MemberNo, Kind: p.kindName(v.Kind), Phone: v.Phone,
		Center: p.centerName(v), Full: v.Full, WalkIn: v.Provisional}
	if r.Name == "" {
		r.Name = p.T("people.no_name")
	}
	if v.Full {
		active := 0
		for _, c := range v.Cards {
			if c.State == hubsync.CardActive {
				active++
				r.Cards = string(c.UID)
			}
		}
		switch {
		case active == 0 && len(v.Cards) == 0:
			r.Cards = p.T("people.no_card")
		case active == 0:
			r.Cards = p.T("people.no_card_in_use")
		}
	}
	return r
}

func (p *Page) centerName(v hub.PersonView) string {
	switch {
	case v.Center == "":
		return p.T("people.district")
	case v.CenterName == "":
		return v.Center
	}
	return v.CenterName
}

// peopleSearch is the section's page: the search, and the ways to
// register, import and merge.
func (w *Web) peopleSearch(p *Page) error {
	v := searchView{Query: p.R.URL.Query().Get("q")}
	if strings.TrimSpace(v.Query) != "" {
		v.Asked = true
		found, more, err := p.Hub().SearchPeople(p.Ctx(), p.Scope, v.Query)
		if err != nil {
			return err
		}
		for _, f := range found {
			v.Rows = append(v.Rows, p.personRow(f))
		}
		v.More = more
	}
	ws, err := p.Hub().WalkIns(p.Ctx(), p.Scope)
	if err != nil {
		return err
	}
	v.WalkIns = len(ws)
	return p.Render("people", v)
}

// ---- registering

// formProblem is what is wrong with one field of a form.
type formProblem struct {
	Field, Label, Text string
}

type registerView struct {
	Centers []centerOption // district staff choose; a center's staff register at theirs
	Center  string         // the center's name, for a center's staff
	Kinds   []kindOption
	Values  map[string]string
	// Problems are the form's problems, in the form's order; ByField the
	// same by field name.
	Problems []formProblem
	ByField  map[string]string
	First    string // the first field with a problem: it has the focus
}

type kindOption struct {
	Value, Name string
	Selected    bool
}

// registerFields are the form's fields: the roster's column each is read
// as, and its label's key, in the form's order.
var registerFields = []struct{ Name, Column, Label string }{
	{"name", roster.ColName, "people.name"},
	{"member_no", roster.ColMemberNo, "people.member_no"},
	{"kind", roster.ColKind, "people.kind"},
	{"phone", roster.ColPhone, "people.phone"},
	{"community", roster.ColCommunity, "people.community"},
	{"card", roster.ColCard, "people.card"},
}

// fieldOf is the form field a hub.Field is.
var fieldOf = map[hub.Field]string{
	hub.FieldName: "name", hub.FieldMemberNo: "member_no", hub.FieldKind: "kind", hub.FieldPhone: "phone",
	hub.FieldCommunity: "community", hub.FieldCard: "card", hub.FieldCenter: "center",
}

func (w *Web) registerView(p *Page, values map[string]string, problems []formProblem) (registerView, error) {
	v := registerView{Values: values, Problems: problems, ByField: map[string]string{}}
	for _, pr := range problems {
		v.ByField[pr.Field] = pr.Text
	}
	if len(problems) > 0 {
		v.First = problems[0].Field
	}
	cs, err := p.Hub().Centers(p.Ctx())
	if err != nil {
		return v, err
	}
	if p.Scope.District() {
		v.Centers = append(v.Centers, centerOption{ID: "", Name: p.T("people.district"), Selected: values["center"] == ""})
		for _, c := range cs {
			v.Centers = append(v.Centers, centerOption{ID: c.ID, Name: c.Name, Selected: values["center"] == c.ID})
		}
	} else {
		v.Center = p.Scope.Center()
		for _, c := range p.Scope.Centers(cs) {
			v.Center = c.Name
		}
	}
	for _, k := range kindKeys {
		v.Kinds = append(v.Kinds, kindOption{Value: k.Kind.String(), Name: p.T(k.Key), Selected: values["kind"] == k.Kind.String()})
	}
	return v, nil
}

// personNew is the registration form.
func (w *Web) personNew(p *Page) error {
	v, err := w.registerView(p, map[string]string{}, nil)
	if err != nil {
		return err
	}
	return p.Render("people_new", v)
}

// personRegister registers the form's person at the user's center (or,
// for district staff, the center chosen); the form comes back with its
// problems (422).
func (w *Web) personRegister(p *Page) error {
	values := map[string]string{"center": p.R.PostFormValue("center")}
	for _, f := range registerFields {
		values[f.Name] = p.R.PostFormValue(f.Name)
	}
	center := values["center"]
	if !p.Scope.District() {
		center = p.Scope.Center()
	}
	person, problems := roster.CheckPerson(roster.PersonFields{Name: values["name"], MemberNo: values["member_no"], Kind: values["kind"],
		Phone: values["phone"], Community: values["community"], Card: values["card"]})
	var shown []formProblem
	for _, f := range registerFields {
		for _, pr := range problems {
			if pr.Column == f.Column {
				shown = append(shown, formProblem{Field: f.Name, Label: p.T(f.Label), Text: reasonText(pr.Reason)})
			}
		}
	}
	if len(shown) == 0 {
		reg, err := p.Hub().RegisterPerson(p.Ctx(), p.Scope, p.Actor, hub.Registration{Center: center, Person: person})
		if err == nil {
			return p.Redirect(personPath(reg.ID) + "?done=registered")
		}
		pr, ok := w.fieldProblem(p, err)
		if !ok {
			return err
		}
		shown = append(shown, pr)
	}
	v, err := w.registerView(p, values, shown)
	if err != nil {
		return err
	}
	return p.RenderStatus(http.StatusUnprocessableEntity, "people_new", v)
}

// fieldProblem is the form's problem a hub.FieldError says; false for
// any other error.
func (w *Web) fieldProblem(p *Page, err error) (formProblem, bool) {
	var fe *hub.FieldError
	if !errors.As(err, &fe) {
		return formProblem{}, false
	}
	field := fieldOf[fe.Field]
	pr := formProblem{Field: field, Text: p.T(problemKey(err))}
	for _, f := range registerFields {
		if f.Name == field {
			pr.Label = p.T(f.Label)
		}
	}
	if field == "center" {
		pr.Label = p.T("people.center")
	}
	return pr, true
}

// problemKey is the catalog's words for why the hub refused a field.
func problemKey(err error) string {
	var fe *hub.FieldError
	errors.As(err, &fe)
	switch {
	case errors.Is(err, hub.ErrHasCard):
		return "problem.has_card"
	case errors.Is(err, record.ErrBadUID):
		return "problem.bad_card"
	case fe != nil && fe.Field == hub.FieldMemberNo && errors.Is(err, hub.ErrExists):
		return "problem.member_no_taken"
	case fe != nil && fe.Field == hub.FieldCard && errors.Is(err, hub.ErrExists):
		return "problem.card_taken"
	case fe != nil && fe.Field == hub.FieldCenter:
		return "problem.no_center"
	}
	return "problem.invalid"
}

// reasonText is the Chinese of a roster's reason ("不能为空 (required)"
// is 不能为空): the page is Chinese; the English is for the logs.
func reasonText(reason string) string {
	if strings.HasSuffix(reason, ")") {
		if i := strings.LastIndex(reason, " ("); i > 0 {
			return reason[:i]
		}
	}
	return reason
}

// ---- a person

type personView struct {
	Name, MemberNo, Kind, Phone, Community, Center string
	Points                                         int64
	Hours                                          string
	Full, WalkIn                                   bool
	MergedInto                                     string // the path of the person merged into
	Cards                                          []cardRow
	// The card form: Bind (no card in use) or Replace (Old, the card in
	// use); CardProblem says what was wrong with the last one sent.
	Form        string
	Old         string
	CardValue   string
	CardProblem string
	Done        string
	Path        string
}

type cardRow struct {
	UID, State string
	Active     bool
	LostPath   string
}

// doneKeys are the notices a page shows after a change (?done=).
var doneKeys = map[string]string{
	"registered": "people.done.registered",
	"bound":      "people.done.bound",
	"lost":       "people.done.lost",
	"replaced":   "people.done.replaced",
	"merged":     "people.done.merged",
}

func (w *Web) personView(p *Page, id record.PersonID) (personView, error) {
	pv, err := p.Hub().ViewPerson(p.Ctx(), p.Scope, id)
	if err != nil {
		return personView{}, err
	}
	v := personView{Name: pv.Name, MemberNo: pv.MemberNo, Kind: p.kindName(pv.Kind), Phone: pv.Phone, Community: pv.Community,
		Center: p.centerName(pv), Full: pv.Full, WalkIn: pv.Provisional, Path: personPath(id)}
	if v.Name == "" {
		v.Name = p.T("people.no_name")
	}
	if pv.MergedInto != 0 {
		v.MergedInto = personPath(pv.MergedInto)
	}
	if !pv.Full {
		return v, nil
	}
	v.Points = pv.Balance.Points
	v.Hours = p.T("people.hours_minutes", pv.Balance.Minutes/60, pv.Balance.Minutes%60)
	v.Form = "bind"
	for _, c := range pv.Cards {
		row := cardRow{UID: string(c.UID), State: p.T(cardStateKeys[c.State]), Active: c.State == hubsync.CardActive}
		if row.Active {
			row.LostPath = v.Path + "/lost?card=" + url.QueryEscape(row.UID)
			v.Form, v.Old = "replace", row.UID
		}
		v.Cards = append(v.Cards, row)
	}
	if v.MergedInto != "" {
		v.Form = ""
	}
	return v, nil
}

// personPage is a person: what the scope sees of them, their cards, and
// the card form.
func (w *Web) personPage(p *Page) error {
	id, err := personID(p)
	if err != nil {
		return err
	}
	v, err := w.personView(p, id)
	if err != nil {
		return err
	}
	if k, ok := doneKeys[p.R.URL.Query().Get("done")]; ok {
		v.Done = p.T(k)
	}
	return p.Render("people_person", v)
}

// personCard binds the card typed (or tapped) to the person, or replaces
// their card in use with it (old).
func (w *Web) personCard(p *Page) error {
	id, err := personID(p)
	if err != nil {
		return err
	}
	typed := p.R.PostFormValue("card")
	old := p.R.PostFormValue("old")
	uid, perr := record.ParseUID(typed)
	if perr == nil {
		done := "bound"
		if old == "" {
			_, err = p.Hub().BindCard(p.Ctx(), p.Scope, p.Actor, id, uid)
		} else {
			done = "replaced"
			_, err = p.Hub().ReplaceCard(p.Ctx(), p.Scope, p.Actor, id, record.CardUID(old), uid)
		}
		if err == nil {
			return p.Redirect(personPath(id) + "?done=" + done)
		}
		if errors.Is(err, hub.ErrMerged) {
			return errNotFound
		}
		var fe *hub.FieldError
		if !errors.As(err, &fe) {
			return err
		}
	} else {
		err = &hub.FieldError{Field: hub.FieldCard, Err: perr}
	}
	v, verr := w.personView(p, id)
	if verr != nil {
		return verr
	}
	if !v.Full {
		return errNotFound
	}
	v.CardValue, v.CardProblem = typed, p.T(problemKey(err))
	return p.RenderStatus(http.StatusUnprocessableEntity, "people_person", v)
}

// ---- reporting a card lost

type lostView struct {
	Name, MemberNo, Card, Path string
}

// lostCard is the person of the URL and their card in use of ?card= or
// the form's card: not found unless the scope may change the person and
// the card is theirs and in use.
func (w *Web) lostCard(p *Page, uid string) (lostView, error) {
	id, err := personID(p)
	if err != nil {
		return lostView{}, err
	}
	pv, err := p.Hub().ViewPerson(p.Ctx(), p.Scope, id)
	if err != nil {
		return lostView{}, err
	}
	if pv.Full && pv.MergedInto == 0 {
		for _, c := range pv.Cards {
			if string(c.UID) == uid && c.State == hubsync.CardActive {
				return lostView{Name: pv.Name, MemberNo: pv.MemberNo, Card: uid, Path: personPath(id)}, nil
			}
		}
	}
	return lostView{}, errNotFound
}

// lostConfirm asks before a card is reported lost: it stops at every
// kiosk.
func (w *Web) lostConfirm(p *Page) error {
	v, err := w.lostCard(p, p.R.URL.Query().Get("card"))
	if err != nil {
		return err
	}
	return p.Render("people_lost", v)
}

// lostReport reports the card lost.
func (w *Web) lostReport(p *Page) error {
	v, err := w.lostCard(p, p.R.PostFormValue("card"))
	if err != nil {
		return err
	}
	id, _ := personID(p)
	if _, err := p.Hub().ReportCardLost(p.Ctx(), p.Scope, p.Actor, id, record.CardUID(v.Card)); err != nil {
		return err
	}
	return p.Redirect(v.Path + "?done=lost")
}
