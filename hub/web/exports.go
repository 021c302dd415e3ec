package web

import (
	"context"
	"errors"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/record"
)

// Exports of the sections' lists, each as XLSX or CSV (LIST/export.FORMAT
// beside the list's page, with the page's filter): 注册登记's search
// results and walk-ins, a person's 志愿服务记录 for the year shown, the
// register of certificates, the audit log, and a center's service records
// for a year (服务记录导出, /service/export). Each reads what its page
// reads, through the user's Scope, and shows what the page shows (phones
// masked, another center's person masked, never an ID number); each
// download is recorded in the audit log (hub.AuditExport: the list and
// its filter, never its rows) before its first byte.
//
// Every export streams (ExportStream): the long ones (a center's year,
// the register, the audit log) are read a page at a time as the file is
// written, so the download starts at once and the hub never holds the
// whole list.

// exportRoutes are the exports' paths, in the logged-in group.
func (w *Web) exportRoutes(r chi.Router) {
	r.Get("/people/export.{format}", w.page(w.peopleExport))
	r.Get("/people/walkins/export.{format}", w.page(w.walkInsExport))
	r.Get("/service/people/{id}/export.{format}", w.page(w.recordExport))
	r.Get("/service/certificates/export.{format}", w.page(w.registerExport))
	r.Get("/service/export", w.page(w.serviceExportPage))
	r.Get("/service/export/records.{format}", w.page(w.serviceExport))
	r.Get("/audit/export.{format}", w.page(w.district(w.auditExport)))
}

// exportLinks are the downloads of a list (the template "exports").
type exportLinks struct{ XLSX, CSV string }

// exportsOf are the downloads of path (without its extension) with the
// query q.
func exportsOf(path string, q url.Values) *exportLinks {
	query := ""
	if len(q) > 0 {
		query = "?" + q.Encode()
	}
	return &exportLinks{XLSX: path + "." + FormatXLSX + query, CSV: path + "." + FormatCSV + query}
}

// The lists' downloads, for their pages' templates (.Data.Exports): none
// where the page lists nothing.

// Exports are the search's results as a file.
func (v searchView) Exports() *exportLinks {
	if !v.Asked || len(v.Rows) == 0 {
		return nil
	}
	return exportsOf("/people/export", url.Values{"q": {v.Query}})
}

// Exports are the walk-ins as a file.
func (v walkInsView) Exports() *exportLinks {
	if len(v.Rows) == 0 {
		return nil
	}
	return exportsOf("/people/walkins/export", nil)
}

// Exports are the record's rows of the year shown (every year's when all
// are shown) as a file.
func (v recordView) Exports() *exportLinks {
	if len(v.Rows) == 0 {
		return nil
	}
	q := url.Values{}
	for _, y := range v.Years {
		if y.Current && y.Path != v.Path {
			q.Set("year", y.Label)
		}
	}
	return exportsOf(v.Path+"/export", q)
}

// Exports are the register (the person's, when it shows one person's)
// as a file, every page of it.
func (v certRegisterView) Exports() *exportLinks {
	if len(v.Rows) == 0 {
		return nil
	}
	q := url.Values{}
	if v.PersonID != 0 {
		q.Set("person", strconv.FormatInt(int64(v.PersonID), 10))
	}
	return exportsOf("/service/certificates/export", q)
}

// Exports are the audit log as a file, the whole of it.
func (v auditView) Exports() *exportLinks {
	if len(v.Rows) == 0 {
		return nil
	}
	return exportsOf("/audit/export", nil)
}

// ExportStream answers with t as a file of format (FormatXLSX or
// FormatCSV; another is a 404), sending each row as t.Rows yields it: a
// long list starts downloading with its first rows. A row's error before
// anything was sent is an error page; after, it cuts the download, so
// nobody keeps a file that looks whole.
func (p *Page) ExportStream(format string, t Table) error {
	out := &sentWriter{w: p.rw, rc: http.NewResponseController(p.rw)}
	h := p.rw.Header()
	var err error
	switch format {
	case FormatXLSX:
		h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		h.Set("Content-Disposition", attachment(t.Name+".xlsx"))
		err = writeXLSX(out, t, p.web.clk.Now(), out.flush)
	case FormatCSV:
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", attachment(t.Name+".csv"))
		// writeCSV writes whole buffers of rows: each goes on at once.
		out.each = true
		err = writeCSV(out, t)
	default:
		return errBadFormat
	}
	if err == nil {
		return nil
	}
	if out.n == 0 {
		// Nothing sent: the error's page, not a download of it.
		h.Del("Content-Disposition")
		return err
	}
	if p.Ctx().Err() != nil {
		p.web.log.Info("web: export stopped by the browser", "path", p.R.URL.Path, "user", p.User.Name)
	} else {
		p.web.log.Error("web: export failed", "path", p.R.URL.Path, "user", p.User.Name, "err", err)
	}
	panic(http.ErrAbortHandler)
}

// sentWriter is the response, counting what was written to it.
type sentWriter struct {
	w    io.Writer
	rc   *http.ResponseController
	n    int64
	each bool // flush after each write
}

func (s *sentWriter) Write(b []byte) (int, error) {
	n, err := s.w.Write(b)
	s.n += int64(n)
	if err == nil && s.each {
		err = s.flush()
	}
	return n, err
}

// flush sends what was written on to the browser.
func (s *sentWriter) flush() error {
	if err := s.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

// exportAudited records the download of t in the audit log (center: the
// center whose data it is, "" for the district's or several) and sends
// it.
func (p *Page) exportAudited(format string, t Table, center string) error {
	if _, err := exportFormat(format); err != nil {
		return err
	}
	if err := p.Audit(hub.AuditExport, center, t.Name, format); err != nil {
		return err
	}
	return p.ExportStream(format, t)
}

// exportName is a file's name of parts (a section, a list, its filter),
// without what a file name cannot hold.
func exportName(parts ...string) string {
	var keep []string
	for _, s := range parts {
		s = strings.Map(func(r rune) rune {
			if strings.ContainsRune(`/\:*?"<>|`, r) || r < 0x20 {
				return '_'
			}
			return r
		}, strings.TrimSpace(s))
		if s != "" {
			keep = append(keep, s)
		}
	}
	return strings.Join(keep, "-")
}

// ---- 注册登记

// peopleExport is the search's results, as the page finds them.
func (w *Web) peopleExport(p *Page) error {
	format := chi.URLParam(p.R, "format")
	q := p.R.URL.Query().Get("q")
	if strings.TrimSpace(q) == "" {
		return errNotFound
	}
	found, _, err := p.Hub().SearchPeople(p.Ctx(), p.Scope, q)
	if err != nil {
		return err
	}
	rows := make([][]any, 0, len(found))
	for _, f := range found {
		r := p.personRow(f)
		var notes []string
		if r.WalkIn {
			notes = append(notes, p.T("people.walkin"))
		}
		if !r.Full {
			notes = append(notes, p.T("people.elsewhere"))
		}
		rows = append(rows, []any{r.Name, r.MemberNo, r.Kind, r.Phone, r.Cards, r.Center, strings.Join(notes, " ")})
	}
	t := Table{Name: exportName(p.T("section.people"), p.T("exports.people.results"), strings.TrimSpace(q)),
		Headers: w.headers("people.name", "people.member_no", "people.kind", "people.phone", "people.cards", "people.center", "exports.col.note"),
		Rows:    RowsOf(rows)}
	return p.exportAudited(format, t, p.Scope.Center())
}

// walkInsExport is the walk-ins waiting to be merged.
func (w *Web) walkInsExport(p *Page) error {
	format := chi.URLParam(p.R, "format")
	ws, err := p.Hub().WalkIns(p.Ctx(), p.Scope)
	if err != nil {
		return err
	}
	rows := make([][]any, 0, len(ws))
	for _, x := range ws {
		r := p.walkInRow(x)
		rows = append(rows, []any{r.MemberNo, r.Center, r.Points, hoursOf(x.Balance.Minutes), r.Cards})
	}
	t := Table{Name: exportName(p.T("section.people"), p.T("people.walkins"), w.today()),
		Headers: w.headers("people.member_no", "walkins.center", "people.points", "exports.col.hours", "people.cards"),
		Rows:    RowsOf(rows)}
	return p.exportAudited(format, t, p.Scope.Center())
}

// today is the day in the centers' zone, for a file's name.
func (w *Web) today() string { return w.clk.Now().In(chinaTime).Format("2006-01-02") }

// ---- 志愿服务记录

// rowState is the words of a row's state, as the record page says it.
func (p *Page) rowState(r hub.ServiceRow) string {
	switch {
	case r.Kind == hub.RowAdjust && r.State == hub.StateReversed:
		return p.T("service.state_reversed")
	case r.Kind == hub.RowAdjust:
		return p.T("service.state_adjusted")
	case r.State == hub.StateOpen:
		return p.T("service.state_open")
	case r.State == hub.StateReversed:
		return p.T("service.state_reversed")
	}
	return p.T("service.state_closed")
}

// rowCells are a row's date, activity, check-in, check-out, hours,
// points, state, note and whether a time was corrected, as cells: what
// the record page shows, the times whole.
func (p *Page) rowCells(r hub.ServiceRow) []any {
	// A zero time is an empty cell; an adjustment's time is its date's.
	activity, in := r.ActivityName, r.In
	switch {
	case r.Kind == hub.RowAdjust:
		activity, in = p.T("service.adjustment"), time.Time{}
	case activity == "":
		activity = p.T("service.unknown_activity")
	}
	var hrs any // none for a shift still open, as on the page
	if r.State != hub.StateOpen || r.Kind == hub.RowAdjust {
		hrs, _ = strconv.ParseFloat(tenthHours(r.Minutes), 64)
	}
	corrected := ""
	if r.InCorrected || r.OutCorrected {
		corrected = p.T("exports.yes")
	}
	return []any{r.At().In(chinaTime).Format("2006-01-02"), activity, in, r.Out, hrs, r.Points, p.rowState(r), r.Reason, corrected}
}

// rowHeaders are rowCells' columns.
var rowHeaders = []string{"service.activity", "service.check_in", "service.check_out", "service.hours", "service.points", "service.state",
	"exports.col.note", "exports.col.corrected"}

// recordExport is a person's record of the year the page shows (every
// year's without one), as the user's scope sees it, newest first.
func (w *Web) recordExport(p *Page) error {
	format := chi.URLParam(p.R, "format")
	id, err := personID(p)
	if err != nil {
		return err
	}
	q, year := recordQuery(p.R.URL.Query().Get("year"))
	rec, err := p.Hub().ServiceRecord(p.Ctx(), p.Scope, id, q)
	if err != nil {
		return err
	}
	names, err := w.centerNames(p)
	if err != nil {
		return err
	}
	rows := make([][]any, 0, len(rec.Rows))
	for _, r := range rec.Rows {
		cells := p.rowCells(r)
		center := names[r.Center]
		if center == "" {
			center = r.Center
		}
		rows = append(rows, append([]any{cells[0], center}, cells[1:]...))
	}
	period := p.T("service.all_years")
	if year != 0 {
		period = strconv.Itoa(year)
	}
	t := Table{Name: exportName(p.T("section.service"), rec.Person.Name, rec.Person.MemberNo, period),
		Headers: w.headers(append([]string{"service.date", "service.center"}, rowHeaders...)...), Rows: RowsOf(rows)}
	return p.exportAudited(format, t, p.Scope.Center())
}

// registerExport is the register of certificates (a person's with
// ?person=), every page of it, newest first.
func (w *Web) registerExport(p *Page) error {
	format := chi.URLParam(p.R, "format")
	person, _ := strconv.ParseInt(p.R.URL.Query().Get("person"), 10, 64)
	names, err := w.centerNames(p)
	if err != nil {
		return err
	}
	var first []hub.Certificate
	if first, err = p.Hub().Certificates(p.Ctx(), p.Scope, record.PersonID(max(person, 0)), 0, hub.MaxCertificatePage); err != nil {
		return err
	}
	name := []string{p.T("section.service"), p.T("service.register")}
	if person > 0 && len(first) > 0 {
		name = append(name, first[0].Name, first[0].MemberNo)
	}
	rows := pagedRows(p.Ctx(), first, hub.MaxCertificatePage, func(ctx context.Context, last hub.Certificate) ([]hub.Certificate, error) {
		return p.Hub().Certificates(ctx, p.Scope, record.PersonID(max(person, 0)), last.ID, hub.MaxCertificatePage)
	}, func(c hub.Certificate) []any {
		r := w.certRow(p, c, names)
		hrs, _ := strconv.ParseFloat(r.Hours, 64)
		return []any{c.Number, c.IssuedAt, c.Name, c.MemberNo, r.Issuer, hrs, c.IssuedBy}
	})
	t := Table{Name: exportName(append(name, w.today())...),
		Headers: w.headers("service.number", "service.issued_at", "service.name", "service.member_no", "service.issuer", "service.hours",
			"service.issued_by"), Rows: rows}
	return p.exportAudited(format, t, p.Scope.Center())
}

// pagedRows are the rows of a list read a page at a time: first, then next
// of each full page's last row, until a page is short.
func pagedRows[T any](ctx context.Context, first []T, size int, next func(context.Context, T) ([]T, error), cells func(T) []any) iter.Seq2[[]any, error] {
	return func(yield func([]any, error) bool) {
		page := first
		for {
			for _, x := range page {
				if !yield(cells(x), nil) {
					return
				}
			}
			if len(page) < size {
				return
			}
			var err error
			if page, err = next(ctx, page[len(page)-1]); err != nil {
				yield(nil, err)
				return
			}
		}
	}
}

// The form of 服务记录导出: a center (the user's own, or any for the
// district) and a year.

// exportYears is how many years the form offers, this one first.
const exportYears = 10

type serviceExportView struct {
	Centers []centerOption
	Center  string // a center's user's own, by name
	Years   []option
	XLSX    string
	CSV     string
}

// serviceExportPage is the form of a center's service records for a year.
func (w *Web) serviceExportPage(p *Page) error {
	cs, err := p.Hub().Centers(p.Ctx())
	if err != nil {
		return err
	}
	v := serviceExportView{XLSX: "/service/export/records." + FormatXLSX, CSV: "/service/export/records." + FormatCSV}
	if p.Scope.District() {
		for i, c := range cs {
			v.Centers = append(v.Centers, centerOption{ID: c.ID, Name: c.Name, Selected: i == 0})
		}
	} else {
		v.Center = p.Scope.Center()
		for _, c := range p.Scope.Centers(cs) {
			v.Center = c.Name
		}
	}
	this := w.clk.Now().In(chinaTime).Year()
	for y := this; y > this-exportYears; y-- {
		v.Years = append(v.Years, option{Value: strconv.Itoa(y), Label: p.T("exports.records.year", y), Selected: y == this})
	}
	return p.Render("service_export", v)
}

// serviceExport is every row of service at a center in a year (the
// user's center, or ?center= for the district), oldest first, streamed
// as the hub reads it a week at a time.
func (w *Web) serviceExport(p *Page) error {
	format := chi.URLParam(p.R, "format")
	if _, err := exportFormat(format); err != nil {
		return err
	}
	qs := p.R.URL.Query()
	center := qs.Get("center")
	if center == "" && !p.Scope.District() {
		center = p.Scope.Center()
	}
	q, year := recordQuery(qs.Get("year"))
	if year == 0 {
		return errNotFound
	}
	lines, err := p.Hub().CenterService(p.Ctx(), p.Scope, center, q)
	if err != nil {
		return err
	}
	names, err := w.centerNames(p)
	if err != nil {
		return err
	}
	rows := func(yield func([]any, error) bool) {
		for l, err := range lines {
			if err != nil {
				yield(nil, err)
				return
			}
			cells := p.rowCells(l.ServiceRow)
			name := l.Person.Name
			if name == "" {
				name = p.T("people.no_name")
			}
			if !yield(append([]any{cells[0], name, l.Person.MemberNo}, cells[1:]...), nil) {
				return
			}
		}
	}
	t := Table{Name: exportName(p.T("section.service"), names[center], strconv.Itoa(year)),
		Headers: w.headers(append([]string{"service.date", "service.name", "service.member_no"}, rowHeaders...)...), Rows: rows}
	return p.exportAudited(format, t, center)
}

// ---- the audit log

// auditExport is the whole audit log, newest first, read a page at a
// time.
func (w *Web) auditExport(p *Page) error {
	format := chi.URLParam(p.R, "format")
	first, err := p.Hub().AuditLog(p.Ctx(), p.Scope, hub.AuditQuery{Limit: hub.MaxAuditPage})
	if err != nil {
		return err
	}
	cs, err := p.Hub().Centers(p.Ctx())
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, c := range cs {
		names[c.ID] = c.Name
	}
	rows := pagedRows(p.Ctx(), first, hub.MaxAuditPage, func(ctx context.Context, last hub.AuditEntry) ([]hub.AuditEntry, error) {
		return p.Hub().AuditLog(ctx, p.Scope, hub.AuditQuery{Before: last.ID, Limit: hub.MaxAuditPage})
	}, func(e hub.AuditEntry) []any {
		who := e.Actor
		if who == "" {
			who = w.text("audit.command_line")
		}
		center := e.Center
		if n, ok := names[center]; ok {
			center = n
		}
		return []any{e.At, who, w.known("audit.action."+string(e.Action), string(e.Action)), e.Subject,
			w.known("audit.detail."+e.Detail, e.Detail), center, e.Addr}
	})
	t := Table{Name: exportName(p.T("section.audit"), w.today()),
		Headers: w.headers("audit.when", "audit.who", "audit.what", "audit.subject", "audit.detail", "audit.center", "audit.addr"), Rows: rows}
	return p.exportAudited(format, t, "")
}
