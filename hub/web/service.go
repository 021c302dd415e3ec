package web

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/record"
)

// The 志愿服务记录 section: find a person, their record of service (every
// shift the kiosks pushed), their ID document (kept sealed at the hub,
// shown masked), certificates of service hours (志愿服务记录证明: one A4
// page, printed or saved as a PDF from the browser's print dialog), the
// register of certificates, and what certificates say of their issuers.
//
// A PDF comes from the browser's print dialog, not from the hub: the
// printed page is the same HTML and the same fonts as the page on screen,
// so there is one layout to keep, and the Go PDF libraries at hand embed
// TrueType fonts only, while the web's Chinese font is CFF (OpenType
// with PostScript outlines): a second font of megabytes for a second
// layout. The district's PCs run Chromium-based browsers, whose print
// dialog saves a PDF; the browser tests print the certificate to PDF
// with Chromium and check that it is one A4 page.

// idTypeKeys are the catalog's names of the ID document types.
var idTypeKeys = map[hub.IDType]string{
	hub.IDResident:     "idtype.resident",
	hub.IDHKMacao:      "idtype.hk-macao",
	hub.IDTaiwan:       "idtype.taiwan",
	hub.IDHMTResidence: "idtype.hmt-residence",
	hub.IDForeignPR:    "idtype.foreign-pr",
	hub.IDPassport:     "idtype.passport",
}

// idTypeName is the name of t; "" for a type the web does not know.
func (w *Web) idTypeName(t hub.IDType) string {
	if k, ok := idTypeKeys[t]; ok {
		return w.text(k)
	}
	return ""
}

// servicePeopleFound is how many people one search shows.
const servicePeopleFound = 50

// serviceRoutes are the section's paths, in the logged-in group.
func (w *Web) serviceRoutes(r chi.Router) {
	r.Get("/service", w.page(w.servicePage))
	r.Get("/service/people/{id}", w.page(w.recordPage))
	r.Post("/service/people/{id}/id", w.page(w.setIDDocument))
	r.Post("/service/people/{id}/certificates", w.page(w.issueCertificate))
	r.Get("/service/certificates", w.page(w.registerPage))
	r.Get("/service/certificates/{number}", w.page(w.certificatePage))
	r.Get("/service/issuers", w.page(w.issuersPage))
	r.Post("/service/issuers", w.page(w.setIssuer))
}

// tenthHours is minutes as hours with one decimal, as a certificate states
// them (rounded half up: 0.05 h is 3 minutes).
func tenthHours(minutes int64) string {
	neg := minutes < 0
	if neg {
		minutes = -minutes
	}
	tenths := (minutes*10 + 30) / 60
	s := fmt.Sprintf("%d.%d", tenths/10, tenths%10)
	if neg && tenths != 0 {
		s = "-" + s
	}
	return s
}

func recordPath(id record.PersonID) string {
	return "/service/people/" + strconv.FormatInt(int64(id), 10)
}

func certificatePath(number string) string {
	return "/service/certificates/" + url.PathEscape(number)
}

// centerNames are the names of the centers by id, the district office's
// ("") too.
func (w *Web) centerNames(p *Page) (map[string]string, error) {
	cs, err := p.Hub().Centers(p.Ctx())
	if err != nil {
		return nil, err
	}
	names := map[string]string{"": p.T("service.district_office")}
	for _, c := range cs {
		names[c.ID] = c.Name
	}
	return names, nil
}

type serviceView struct {
	Query    string
	Searched bool
	People   []servedRow
	District bool
}

type servedRow struct {
	Name, MemberNo, Community, Path string
	Provisional                     bool
}

// servicePage finds people by name, member number or card: a center's
// staff find those who served at their center.
func (w *Web) servicePage(p *Page) error {
	q := strings.TrimSpace(p.R.URL.Query().Get("q"))
	v := serviceView{Query: q, Searched: q != "", District: p.Scope.District()}
	if q != "" {
		ps, err := p.Hub().FindServedPeople(p.Ctx(), p.Scope, q, servicePeopleFound)
		if err != nil {
			return err
		}
		for _, x := range ps {
			v.People = append(v.People, servedRow{Name: x.Name, MemberNo: x.MemberNo, Community: x.Community, Path: recordPath(x.ID),
				Provisional: x.Provisional})
		}
	}
	return p.Render("service", v)
}

type recordView struct {
	Name, MemberNo, Community string
	Provisional               bool
	Path                      string
	ID                        *idView
	IDTypes                   []option
	IDError, IDNotice         string
	IDNumber                  string // what was typed, sent back with its problem

	Years               []yearLink
	Shifts              int
	Hours               string
	Points              int64
	Rows                []rowView
	AnyCorrected        bool
	Issuers             []option
	CertError           string
	Missing             []missing
	From, To, Content   string
	FromMin, ToMax      string
	Certificates        []certRow
	CertificatesAllPath string
	ContentMax          int
}

type idView struct {
	Type, Masked, Changed, By string
}

type option struct {
	Value, Label string
	Selected     bool
}

type yearLink struct {
	Label, Path string
	Current     bool
}

type rowView struct {
	Date, Center, Activity, In, Out, Hours, State, Reason string
	Points                                                int64
	InCorrected, OutCorrected, Counts, Adjust             bool
}

type missing struct{ Text, Path string }

// recordQuery is the period of ?year= (every year when absent or "all").
func recordQuery(year string) (hub.RecordQuery, int) {
	y, err := strconv.Atoi(year)
	if err != nil || y < 2000 || y > 9999 {
		return hub.RecordQuery{}, 0
	}
	return hub.RecordQuery{From: time.Date(y, 1, 1, 0, 0, 0, 0, chinaTime), To: time.Date(y+1, 1, 1, 0, 0, 0, 0, chinaTime)}, y
}

// recordPage is a person's record of service as the user's scope sees it.
func (w *Web) recordPage(p *Page) error {
	id, err := personID(p)
	if err != nil {
		return err
	}
	q, year := recordQuery(p.R.URL.Query().Get("year"))
	rec, err := p.Hub().ServiceRecord(p.Ctx(), p.Scope, id, q)
	if err != nil {
		return err
	}
	if rec.Person.ID != id {
		// A walk-in merged into a registration: its record is theirs.
		return p.Redirect(recordPath(rec.Person.ID))
	}
	v, err := w.recordView(p, rec, year)
	if err != nil {
		return err
	}
	switch p.R.URL.Query().Get("done") {
	case "id":
		v.IDNotice = p.T("service.id_saved")
	case "id-removed":
		v.IDNotice = p.T("service.id_removed")
	}
	return p.Render("service_person", v)
}

func (w *Web) recordView(p *Page, rec hub.ServiceRecord, year int) (recordView, error) {
	names, err := w.centerNames(p)
	if err != nil {
		return recordView{}, err
	}
	path := recordPath(rec.Person.ID)
	v := recordView{Name: rec.Person.Name, MemberNo: rec.Person.MemberNo, Community: rec.Person.Community,
		Provisional: rec.Person.Provisional, Path: path, Shifts: rec.Shifts, Hours: tenthHours(rec.Minutes), Points: rec.Points,
		ContentMax: hub.MaxCertContent}
	if rec.ID != nil {
		v.ID = &idView{Type: w.idTypeName(rec.ID.Type), Masked: rec.ID.Masked,
			Changed: rec.ID.Changed.In(chinaTime).Format("2006-01-02 15:04"), By: rec.ID.ChangedBy}
	}
	for _, t := range hub.IDTypes() {
		v.IDTypes = append(v.IDTypes, option{Value: string(t), Label: w.idTypeName(t), Selected: rec.ID != nil && rec.ID.Type == t})
	}
	v.Years = append(v.Years, yearLink{Label: p.T("service.all_years"), Path: path, Current: year == 0})
	for _, y := range rec.Years {
		v.Years = append(v.Years, yearLink{Label: strconv.Itoa(y), Path: path + "?year=" + strconv.Itoa(y), Current: y == year})
	}
	for _, r := range rec.Rows {
		row := rowView{Date: r.At().In(chinaTime).Format("2006-01-02"), Center: names[r.Center], Activity: r.ActivityName,
			Hours: tenthHours(r.Minutes), Points: r.Points, InCorrected: r.InCorrected, OutCorrected: r.OutCorrected, Counts: r.Counts(), Reason: r.Reason}
		if row.Center == "" {
			row.Center = r.Center
		}
		if !r.In.IsZero() {
			row.In = r.In.In(chinaTime).Format("15:04")
		}
		if !r.Out.IsZero() {
			row.Out = r.Out.In(chinaTime).Format("15:04")
		}
		switch {
		case r.Kind == hub.RowAdjust:
			row.Adjust, row.Activity, row.In = true, p.T("service.adjustment"), ""
			row.State = p.T("service.state_adjusted")
			if r.State == hub.StateReversed {
				row.State = p.T("service.state_reversed")
			}
		case r.State == hub.StateOpen:
			row.State, row.Hours = p.T("service.state_open"), ""
		case r.State == hub.StateReversed:
			row.State = p.T("service.state_reversed")
		default:
			row.State = p.T("service.state_closed")
		}
		if row.Activity == "" {
			row.Activity = p.T("service.unknown_activity")
		}
		v.AnyCorrected = v.AnyCorrected || r.InCorrected || r.OutCorrected
		v.Rows = append(v.Rows, row)
	}
	// The certificate's form: the issuers the user may issue as, the
	// period of the record's first and last service.
	issuers, err := p.Hub().CertIssuers(p.Ctx(), p.Scope)
	if err != nil {
		return recordView{}, err
	}
	for _, is := range issuers {
		label := is.Name
		if label == "" {
			label = names[is.Center]
		}
		v.Issuers = append(v.Issuers, option{Value: is.Center, Label: label, Selected: len(v.Issuers) == 0})
	}
	if rec.ID == nil {
		v.Missing = append(v.Missing, missing{Text: p.T("service.missing_id"), Path: "#id"})
	}
	if len(issuers) == 1 && !issuers[0].Complete() {
		v.Missing = append(v.Missing, missing{Text: p.T("service.missing_issuer"), Path: "/service/issuers"})
	}
	if !rec.First.IsZero() {
		v.From = rec.First.In(chinaTime).Format("2006-01-02")
		v.To = rec.Last.In(chinaTime).Format("2006-01-02")
	}
	v.ToMax = p.Hub().Clock().Now().In(chinaTime).Format("2006-01-02")
	cs, err := p.Hub().Certificates(p.Ctx(), p.Scope, rec.Person.ID, 0, certsOnRecord+1)
	if err != nil {
		return recordView{}, err
	}
	for i, c := range cs {
		if i == certsOnRecord {
			v.CertificatesAllPath = "/service/certificates?person=" + strconv.FormatInt(int64(rec.Person.ID), 10)
			break
		}
		v.Certificates = append(v.Certificates, w.certRow(p, c, names))
	}
	return v, nil
}

// certsOnRecord is how many of a person's certificates their record lists.
const certsOnRecord = 10

// setIDDocument keeps or deletes a person's ID document.
func (w *Web) setIDDocument(p *Page) error {
	id, err := personID(p)
	if err != nil {
		return err
	}
	d := hub.IDDocument{Type: hub.IDType(p.R.PostFormValue("id_type")), Number: p.R.PostFormValue("id_number")}
	remove := p.R.PostFormValue("remove") != ""
	if remove {
		d = hub.IDDocument{}
	} else if strings.TrimSpace(d.Number) == "" {
		return w.recordAgain(p, id, func(v *recordView) { v.IDError = p.T("service.id_required") })
	}
	err = p.Hub().SetIDDocument(p.Ctx(), p.Actor, p.Scope, id, d)
	switch {
	case errors.Is(err, hub.ErrIDNumber):
		return w.recordAgain(p, id, func(v *recordView) {
			v.IDError = p.T("service.id_invalid", w.idTypeName(d.Type))
			if !d.Type.Valid() {
				v.IDError = p.T("service.id_type_invalid")
			}
			v.IDNumber = d.Number
			for i := range v.IDTypes {
				v.IDTypes[i].Selected = v.IDTypes[i].Value == string(d.Type)
			}
		})
	case err != nil:
		return err
	}
	done := "id"
	if remove {
		done = "id-removed"
	}
	return p.Redirect(recordPath(id) + "?done=" + done + "#id")
}

// recordAgain shows a person's record again with a form's problem (422).
func (w *Web) recordAgain(p *Page, id record.PersonID, problem func(*recordView)) error {
	rec, err := p.Hub().ServiceRecord(p.Ctx(), p.Scope, id, hub.RecordQuery{})
	if err != nil {
		return err
	}
	v, err := w.recordView(p, rec, 0)
	if err != nil {
		return err
	}
	problem(&v)
	return p.RenderStatus(422, "service_person", v)
}

// issueCertificate issues a certificate and shows it.
func (w *Web) issueCertificate(p *Page) error {
	id, err := personID(p)
	if err != nil {
		return err
	}
	from, to := p.R.PostFormValue("from"), p.R.PostFormValue("to")
	content := strings.Join(strings.Fields(p.R.PostFormValue("content")), " ")
	issuer := p.R.PostFormValue("issuer")
	again := func(msg string) error {
		return w.recordAgain(p, id, func(v *recordView) {
			v.CertError, v.From, v.To, v.Content = msg, from, to, content
			for i := range v.Issuers {
				v.Issuers[i].Selected = v.Issuers[i].Value == issuer
			}
		})
	}
	var q hub.RecordQuery
	if from != "" {
		d, err := time.ParseInLocation("2006-01-02", from, chinaTime)
		if err != nil {
			return again(p.T("service.err_date"))
		}
		q.From = d
	}
	if to != "" {
		d, err := time.ParseInLocation("2006-01-02", to, chinaTime)
		if err != nil {
			return again(p.T("service.err_date"))
		}
		q.To = d.AddDate(0, 0, 1) // the whole of the last day
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return again(p.T("service.err_date"))
	}
	c, err := p.Hub().IssueCertificate(p.Ctx(), p.Actor, p.Scope, hub.CertificateRequest{Person: id, Issuer: issuer, Period: q, Content: content})
	switch {
	case errors.Is(err, hub.ErrNoIDDocument):
		return again(p.T("service.missing_id"))
	case errors.Is(err, hub.ErrIssuerIncomplete):
		return again(p.T("service.missing_issuer"))
	case errors.Is(err, hub.ErrNoService):
		return again(p.T("service.err_no_service"))
	case errors.Is(err, hub.ErrBadText):
		return again(p.T("service.err_content", hub.MaxCertContent))
	case err != nil:
		return err
	}
	return p.Redirect(certificatePath(c.Number))
}

type certRow struct {
	Number, Path, Date, Name, MemberNo, Issuer, Hours, By, PersonPath string
}

func (w *Web) certRow(p *Page, c hub.Certificate, names map[string]string) certRow {
	issuer := c.IssuerName
	if issuer == "" {
		issuer = names[c.Issuer]
	}
	return certRow{Number: c.Number, Path: certificatePath(c.Number), Date: c.IssuedAt.In(chinaTime).Format("2006-01-02 15:04"),
		Name: c.Name, MemberNo: c.MemberNo, Issuer: issuer, Hours: tenthHours(c.Minutes), By: c.IssuedBy, PersonPath: recordPath(c.Person)}
}

type certRegisterView struct {
	Rows   []certRow
	Older  string
	Newest string
	Person string // the person's name when the register shows one person's
	// PersonID is the person whose register it shows; 0 for everyone's.
	PersonID record.PersonID
}

// registerPageSize is how many certificates the register shows at once.
const registerPageSize = 50

// registerPage is the register of certificates, newest first: the
// district's every one, a center's its own.
func (w *Web) registerPage(p *Page) error {
	qs := p.R.URL.Query()
	before, _ := strconv.ParseInt(qs.Get("before"), 10, 64)
	person, _ := strconv.ParseInt(qs.Get("person"), 10, 64)
	cs, err := p.Hub().Certificates(p.Ctx(), p.Scope, record.PersonID(max(person, 0)), before, registerPageSize)
	if err != nil {
		return err
	}
	names, err := w.centerNames(p)
	if err != nil {
		return err
	}
	v := certRegisterView{}
	base := url.Values{}
	if person > 0 {
		v.PersonID = record.PersonID(person)
		base.Set("person", strconv.FormatInt(person, 10))
		if len(cs) > 0 {
			v.Person = cs[0].Name
		}
	}
	if before > 0 {
		v.Newest = "/service/certificates"
		if len(base) > 0 {
			v.Newest += "?" + base.Encode()
		}
	}
	for _, c := range cs {
		v.Rows = append(v.Rows, w.certRow(p, c, names))
	}
	if len(cs) == registerPageSize {
		next := url.Values{}
		for k, vs := range base {
			next[k] = vs
		}
		next.Set("before", strconv.FormatInt(cs[len(cs)-1].ID, 10))
		v.Older = "/service/certificates?" + next.Encode()
	}
	return p.Render("service_register", v)
}

// part is a piece of a sentence of the certificate: the catalog's words,
// or a value filled in (underlined, as on a paper form).
type part struct {
	Text  string
	Value bool
}

// fill is the catalog's text of key with each %s replaced by a value of
// args, as parts.
func (w *Web) fill(key string, args ...string) []part {
	var out []part
	pieces := strings.Split(w.text(key), "%s")
	for i, s := range pieces {
		if s != "" {
			out = append(out, part{Text: s})
		}
		if i < len(args) && i < len(pieces)-1 {
			out = append(out, part{Text: args[i], Value: true})
		}
	}
	return out
}

type certificateView struct {
	Number, Date                        string
	Attest, Service, Content            []part
	Activities                          []activityRow
	TotalShifts                         int
	TotalHours                          string
	IssuerName, Head, IssuedBy, Contact string
	PersonPath, RegisterPath            string
}

type activityRow struct {
	Name   string
	Shifts string
	Hours  string
}

// certActivityRows is the most activities a certificate lists one by one:
// the rest share a row, so the certificate stays one page.
const certActivityRows = 6

// longDate is a date as a certificate writes it (2026年3月5日).
func (w *Web) longDate(t time.Time) string {
	t = t.In(chinaTime)
	return w.text("cert.date", t.Year(), int(t.Month()), t.Day())
}

// certificatePage is a certificate as issued, the person's ID number in
// clear: the hub records the view in the audit log.
func (w *Web) certificatePage(p *Page) error {
	number := chi.URLParam(p.R, "number")
	c, d, err := p.Hub().OpenCertificate(p.Ctx(), p.Actor, p.Scope, number)
	if err != nil {
		return err
	}
	names, err := w.centerNames(p)
	if err != nil {
		return err
	}
	issuer := c.IssuerName
	if issuer == "" {
		issuer = names[c.Issuer]
	}
	v := certificateView{Number: c.Number, Date: w.longDate(c.IssuedAt), IssuerName: issuer, Head: c.Head, IssuedBy: c.IssuedBy,
		Contact: c.Contact, PersonPath: recordPath(c.Person), RegisterPath: "/service/certificates", TotalShifts: c.Shifts,
		TotalHours: tenthHours(c.Minutes)}
	v.Attest = w.fill("cert.attest", c.Name, w.idTypeName(d.Type), d.Number, c.MemberNo)
	v.Service = w.fill("cert.service", w.longDate(c.From), w.longDate(c.To), issuer, tenthHours(c.Minutes))
	// The sentence ends with the catalog's full stop.
	content := strings.TrimRight(c.Content, "。.；;，,、 ")
	var done []string // the activities' names, for a certificate without its own words
	var restMinutes int64
	restShifts := 0
	for i, a := range c.Activities {
		name := a.Name
		if a.Activity == 0 {
			name = w.text("service.adjustment")
		} else if name == "" {
			name = w.text("service.unknown_activity")
		}
		if a.Activity != 0 {
			done = append(done, name)
		}
		if i >= certActivityRows-1 && len(c.Activities) > certActivityRows {
			restMinutes += a.Minutes
			restShifts += a.Shifts
			continue
		}
		row := activityRow{Name: name, Shifts: strconv.Itoa(a.Shifts), Hours: tenthHours(a.Minutes)}
		if a.Activity == 0 {
			row.Shifts = "—"
		}
		v.Activities = append(v.Activities, row)
	}
	if restMinutes != 0 || restShifts != 0 {
		v.Activities = append(v.Activities, activityRow{Name: w.text("cert.other_activities"), Shifts: strconv.Itoa(restShifts), Hours: tenthHours(restMinutes)})
	}
	if content == "" {
		content = strings.Join(done, w.text("cert.list_sep"))
	}
	v.Content = w.fill("cert.content", content)
	return p.Render("service_certificate", v)
}

type issuersView struct {
	Issuers           []issuerForm
	Notice            string
	Error             string
	NameMax, FieldMax int
}

type issuerForm struct {
	Center, Label, Name, Head, Contact, Changed, By string
	Complete                                        bool
}

// issuersPage shows what certificates say of each issuer the user may
// issue as, each in a form.
func (w *Web) issuersPage(p *Page) error {
	v, err := w.issuersView(p)
	if err != nil {
		return err
	}
	if p.R.URL.Query().Get("done") != "" {
		v.Notice = p.T("service.issuer_saved")
	}
	return p.Render("service_issuers", v)
}

func (w *Web) issuersView(p *Page) (issuersView, error) {
	is, err := p.Hub().CertIssuers(p.Ctx(), p.Scope)
	if err != nil {
		return issuersView{}, err
	}
	names, err := w.centerNames(p)
	if err != nil {
		return issuersView{}, err
	}
	v := issuersView{NameMax: hub.MaxIssuerName, FieldMax: hub.MaxIssuerField}
	for _, i := range is {
		f := issuerForm{Center: i.Center, Label: names[i.Center], Name: i.Name, Head: i.Head, Contact: i.Contact, By: i.ChangedBy,
			Complete: i.Complete()}
		if !i.Changed.IsZero() {
			f.Changed = i.Changed.In(chinaTime).Format("2006-01-02 15:04")
			if f.By == "" {
				f.By = p.T("audit.command_line")
			}
		}
		v.Issuers = append(v.Issuers, f)
	}
	return v, nil
}

// setIssuer keeps what certificates say of an issuer.
func (w *Web) setIssuer(p *Page) error {
	ci := hub.CertIssuer{Center: p.R.PostFormValue("center"), Name: p.R.PostFormValue("name"), Head: p.R.PostFormValue("head"),
		Contact: p.R.PostFormValue("contact")}
	err := p.Hub().SetCertIssuer(p.Ctx(), p.Actor, p.Scope, ci)
	if errors.Is(err, hub.ErrBadText) {
		v, verr := w.issuersView(p)
		if verr != nil {
			return verr
		}
		v.Error = p.T("service.err_issuer_text", hub.MaxIssuerName, hub.MaxIssuerField)
		for i := range v.Issuers {
			if v.Issuers[i].Center == ci.Center {
				v.Issuers[i].Name, v.Issuers[i].Head, v.Issuers[i].Contact = ci.Name, ci.Head, ci.Contact
			}
		}
		return p.RenderStatus(422, "service_issuers", v)
	}
	if err != nil {
		return err
	}
	return p.Redirect("/service/issuers?done=1")
}
