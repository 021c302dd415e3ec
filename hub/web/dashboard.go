package web

import (
	"cmp"
	"errors"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/hongmajia/hongmajia/hub"
)

// The dashboard (看板): a center's month, or every center's the user sees,
// as tiles, charts and lists; the year's trend; the honour roll; stock
// running low; the open flags, each with a form to resolve it; the
// kiosks, the longest without a sync first. Every list downloads as XLSX
// or CSV (/dashboard/export/LIST.FORMAT, the page's query), from the same
// reads as the page.

// Sizes of the dashboard.
const (
	trendMonths   = 12 // the trend: a year
	honourSize    = 10 // places on the honour roll
	activityBars  = 10 // activities in the chart (the list has every one)
	monthParam    = "month"
	centerParam   = "center"
	monthFormat   = "2006-01"
	resolvedParam = "resolved"
)

// cell is one cell of a list: its text on the page and its value in an
// export (a number stays a number).
type cell struct {
	Text  string
	Value any
	Class string
}

func txt(s string) cell  { return cell{Text: s, Value: s} }
func count(n int64) cell { return cell{Text: strconv.FormatInt(n, 10), Value: n, Class: "num"} }

// hoursOf is minutes as hours, to a hundredth.
func hoursOf(minutes int64) float64 { return math.Round(float64(minutes)/60*100) / 100 }

func hours(minutes int64) cell {
	h := hoursOf(minutes)
	return cell{Text: strconv.FormatFloat(h, 'f', -1, 64), Value: h, Class: "num"}
}

func when(t time.Time) cell {
	if t.IsZero() {
		return cell{}
	}
	return cell{Text: t.In(chinaTime).Format("2006-01-02 15:04"), Value: t}
}

// list is a list of the dashboard: its section's id (also the export's
// name in URLs), its title, its columns and rows, and its exports.
type list struct {
	ID      string
	Title   string
	Headers []string
	Cols    []string // each column's class: "num" for numbers
	Rows    [][]cell
	XLSX    string // the export's address
	CSV     string
	Empty   string // what the page says when there is no row
}

// table is l as an export named name.
func (l *list) table(name string) Table {
	rows := make([][]any, len(l.Rows))
	for i, r := range l.Rows {
		rows[i] = make([]any, len(r))
		for j, c := range r {
			rows[i][j] = c.Value
		}
	}
	return Table{Name: name, Headers: l.Headers, Rows: RowsOf(rows)}
}

// dashboard is what the dashboard page shows.
type dashboard struct {
	sel       hub.Selection
	centers   []hub.Center // every center the user sees
	report    hub.MonthReport
	trend     []hub.MonthTally
	honour    []hub.Honour
	low       []hub.StockLevel
	flags     []hub.CenterFlag
	kiosks    []hub.KioskHealth
	centerAll bool // the selection is every center the user sees
}

// selection is the page's center and month (the current month when the
// query names none or one that is not a month).
func (w *Web) selection(p *Page) hub.Selection {
	q := p.R.URL.Query()
	month := hub.MonthStart(w.clk.Now().In(chinaTime))
	if m, err := time.ParseInLocation(monthFormat, q.Get(monthParam), chinaTime); err == nil {
		month = m
	}
	return hub.Selection{Center: q.Get(centerParam), Month: month}
}

// query is sel as the page's query.
func query(sel hub.Selection) string {
	v := url.Values{}
	if sel.Center != "" {
		v.Set(centerParam, sel.Center)
	}
	v.Set(monthParam, sel.Month.Format(monthFormat))
	return v.Encode()
}

// parts are what a read of the dashboard fetches.
type parts uint8

const (
	partReport parts = 1 << iota
	partTrend
	partHonour
	partStock
	partFlags
	partKiosks
	partAll = partReport | partTrend | partHonour | partStock | partFlags | partKiosks
)

// read fetches the parts of the dashboard of sel the user sees, at once:
// the year's sums take the longest, the rest is read beside them.
func (w *Web) read(p *Page, sel hub.Selection, what parts) (*dashboard, error) {
	d := &dashboard{sel: sel, centerAll: sel.Center == ""}
	h, ctx := p.Hub(), p.Ctx()
	cs, err := h.Centers(ctx)
	if err != nil {
		return nil, err
	}
	d.centers = p.Scope.Centers(cs)
	if sel.Center != "" {
		if err := p.Scope.Check(sel.Center); err != nil {
			return nil, err
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	run := func(part parts, fn func() error) {
		if what&part == 0 {
			return
		}
		wg.Go(func() {
			if err := fn(); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	run(partTrend, func() (err error) { d.trend, err = h.Trend(ctx, p.Scope, sel, trendMonths); return err })
	run(partReport, func() (err error) { d.report, err = h.MonthReport(ctx, p.Scope, sel); return err })
	run(partHonour, func() (err error) { d.honour, err = h.HonourRoll(ctx, p.Scope, sel, honourSize); return err })
	run(partStock, func() (err error) { d.low, err = h.LowStock(ctx, p.Scope, sel.Center, chinaTime); return err })
	run(partFlags, func() (err error) { d.flags, err = h.OpenFlags(ctx, p.Scope, sel.Center); return err })
	run(partKiosks, func() (err error) { d.kiosks, err = h.KioskHealth(ctx, p.Scope, sel.Center); return err })
	wg.Wait()
	for _, err := range errs {
		if errors.Is(err, hub.ErrNotFound) {
			return nil, err
		}
	}
	return d, errors.Join(errs...)
}

// monthTitle is "2026年3月".
func (w *Web) monthTitle(m time.Time) string {
	return w.text("dashboard.month", m.Year(), int(m.Month()))
}

// scopeName is the selection's name: its center's, or every center's.
func (w *Web) scopeName(d *dashboard) string {
	for _, c := range d.centers {
		if c.ID == d.sel.Center {
			return c.Name
		}
	}
	if len(d.centers) == 1 {
		return d.centers[0].Name
	}
	return w.text("dashboard.all_centers")
}

// The lists, each for the page and its export, and their titles.
var (
	dashLists  = []string{"centers", "activities", "items", "trend", "honour", "stock", "flags", "kiosks"}
	listTitles = map[string]string{"centers": "dashboard.list.centers", "activities": "dashboard.list.activities",
		"items": "dashboard.list.items", "trend": "dashboard.list.trend", "honour": "dashboard.list.honour",
		"stock": "dashboard.list.stock", "flags": "dashboard.list.flags", "kiosks": "dashboard.list.kiosks"}
)

// healthKeys are the words of each kiosk health.
var healthKeys = map[hub.Health]string{hub.HealthFork: "health.fork", hub.HealthRefused: "health.refused",
	hub.HealthStale: "health.stale", hub.HealthBehind: "health.behind", hub.HealthClock: "health.clock",
	hub.HealthOK: "health.ok", hub.HealthRevoked: "health.revoked"}

// flagKinds are the words of each kind of flag.
var flagKinds = map[hub.FlagKind]string{hub.FlagDoubleSpend: "flag.double-spend", hub.FlagClone: "flag.card-clone",
	hub.FlagLongShift: "flag.long-shift", hub.FlagStale: "flag.not-synced", hub.FlagChain: "flag.chain",
	hub.FlagFork: "flag.fork", hub.FlagWalkIn: "flag.walk-in", hub.FlagConflict: "flag.conflict"}

// flagTodos say in words what each kind of flag means to do (the sync's
// detail beside it is the technician's, in English).
var flagTodos = map[hub.FlagKind]string{hub.FlagDoubleSpend: "flag.todo.double-spend", hub.FlagClone: "flag.todo.card-clone",
	hub.FlagLongShift: "flag.todo.long-shift", hub.FlagStale: "flag.todo.not-synced", hub.FlagChain: "flag.todo.chain",
	hub.FlagFork: "flag.todo.fork", hub.FlagWalkIn: "flag.todo.walk-in", hub.FlagConflict: "flag.todo.conflict"}

// flagTodo is what to do about a flag of kind ("" for a kind without
// words).
func (w *Web) flagTodo(kind hub.FlagKind) string {
	if k, ok := flagTodos[kind]; ok {
		return w.text(k)
	}
	return ""
}

// flagKind is the words of kind, or kind itself when there are none (a
// kind newer than this page).
func (w *Web) flagKind(kind hub.FlagKind) string {
	if k, ok := flagKinds[kind]; ok {
		return w.text(k)
	}
	return string(kind)
}

// monthly reports whether list id is of the selected month (its export is
// named by the month; the others by the day).
func monthly(id string) bool {
	switch id {
	case "stock", "flags", "kiosks":
		return false
	}
	return true
}

// lists builds the lists of d named in ids.
func (w *Web) lists(d *dashboard, ids ...string) map[string]*list {
	q := query(d.sel)
	out := map[string]*list{}
	for _, id := range ids {
		l := &list{ID: id, Title: w.text(listTitles[id]), Empty: w.text("dashboard.empty"),
			XLSX: "/dashboard/export/" + id + ".xlsx?" + q, CSV: "/dashboard/export/" + id + ".csv?" + q}
		out[id] = l
		switch id {
		case "centers":
			l.Headers = w.headers("dashboard.col.center", "dashboard.col.volunteers", "dashboard.col.shifts", "dashboard.col.hours", "dashboard.col.earned", "dashboard.col.redeemed", "dashboard.col.given")
			for _, c := range d.report.ByCenter {
				l.Rows = append(l.Rows, []cell{txt(c.Center.Name), count(c.Volunteers), count(c.Shifts), hours(c.Minutes),
					count(c.Earned), count(c.Redeemed), count(c.Given)})
			}
		case "activities":
			l.Headers = w.headers("dashboard.col.activity", "dashboard.col.center", "dashboard.col.volunteers", "dashboard.col.shifts", "dashboard.col.hours", "dashboard.col.earned")
			for _, a := range d.report.ByActivity {
				l.Rows = append(l.Rows, []cell{txt(w.activityName(a)), txt(a.Center.Name), count(a.Volunteers), count(a.Shifts),
					hours(a.Minutes), count(a.Earned)})
			}
		case "items":
			l.Headers = w.headers("dashboard.col.item", "dashboard.col.redemptions", "dashboard.col.given", "dashboard.col.redeemed")
			for _, it := range d.report.ByItem {
				l.Rows = append(l.Rows, []cell{txt(w.itemName(it)), count(it.Redemptions), count(it.Given), count(it.Redeemed)})
			}
		case "trend":
			l.Headers = w.headers("dashboard.col.month", "dashboard.col.volunteers", "dashboard.col.shifts", "dashboard.col.hours", "dashboard.col.earned", "dashboard.col.redeemed")
			for _, m := range d.trend {
				l.Rows = append(l.Rows, []cell{{Text: w.monthTitle(m.Month), Value: m.Month.Format(monthFormat)}, count(m.Volunteers),
					count(m.Shifts), hours(m.Minutes), count(m.Earned), count(m.Redeemed)})
			}
		case "honour":
			l.Headers = w.headers("dashboard.col.rank", "dashboard.col.name", "dashboard.col.member_no", "dashboard.col.hours", "dashboard.col.shifts", "dashboard.col.earned")
			for _, h := range d.honour {
				name := h.Person.Name
				if name == "" {
					name = w.text("dashboard.unknown_person", int64(h.Person.ID))
				}
				l.Rows = append(l.Rows, []cell{count(int64(h.Rank)), txt(name), txt(h.Person.MemberNo), hours(h.Minutes), count(h.Shifts), count(h.Earned)})
			}
		case "stock":
			l.Headers = w.headers("dashboard.col.center", "dashboard.col.item", "dashboard.col.qty", "dashboard.col.given_recent")
			l.Empty = w.text("dashboard.stock_fine")
			for _, s := range d.low {
				l.Rows = append(l.Rows, []cell{txt(s.Center.Name), txt(s.Item.Name), count(s.Qty), count(s.Given)})
			}
		case "flags":
			l.Headers = w.headers("dashboard.col.flag_no", "dashboard.col.flag_kind", "dashboard.col.center", "dashboard.col.flag_subject", "dashboard.col.flag_detail", "dashboard.col.flag_at", "dashboard.col.flag_todo")
			l.Empty = w.text("dashboard.no_flags")
			for _, f := range d.flags {
				subject, detail := txt(f.Subject), txt(f.Detail)
				subject.Class, detail.Class = "wrap", "wrap detail"
				todo := txt(w.flagTodo(f.Kind))
				todo.Class = "wrap todo"
				l.Rows = append(l.Rows, []cell{count(f.ID), txt(w.flagKind(f.Kind)),
					txt(w.centerName(d, f.Center)), subject, detail, when(f.At), todo})
			}
		case "kiosks":
			l.Headers = w.headers("dashboard.col.terminal", "dashboard.col.center", "dashboard.col.health", "dashboard.col.last_sync", "dashboard.col.since", "dashboard.col.lag", "dashboard.col.version")
			for _, k := range d.kiosks {
				last := when(k.LastSync)
				if k.LastSync.IsZero() {
					last = txt(w.text("dashboard.never_synced"))
				}
				health := txt(w.text(healthKeys[k.Health]))
				health.Class = "health " + string(k.Health)
				l.Rows = append(l.Rows, []cell{txt(k.Terminal), txt(k.CenterName), health, last,
					txt(w.age(k.Age)), count(int64(k.Lag)), txt(k.Version)})
			}
		}
	}
	for _, l := range out {
		l.Cols = make([]string, len(l.Headers))
		for _, r := range l.Rows {
			for i, c := range r {
				if c.Class == "num" && i < len(l.Cols) {
					l.Cols[i] = "num"
				}
			}
		}
	}
	return out
}

// headers are the catalog's texts of keys: a list's column titles.
func (w *Web) headers(keys ...string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = w.text(k)
	}
	return out
}

func (w *Web) activityName(a hub.ActivityTally) string {
	switch {
	case a.Activity == 0:
		return w.text("dashboard.corrections")
	case a.Name == "":
		return w.text("dashboard.unknown_activity", int64(a.Activity))
	}
	return a.Name
}

func (w *Web) itemName(it hub.ItemTally) string {
	if it.Name == "" {
		return w.text("dashboard.unknown_item", int64(it.Item))
	}
	return it.Name
}

func (w *Web) centerName(d *dashboard, id string) string {
	if id == "" {
		return w.text("dashboard.district")
	}
	for _, c := range d.centers {
		if c.ID == id {
			return c.Name
		}
	}
	return id
}

// age is how long ago, in days and hours, or minutes under an hour.
func (w *Web) age(d time.Duration) string {
	switch {
	case d < time.Hour:
		return w.text("dashboard.age_minutes", int64(d/time.Minute))
	case d < 48*time.Hour:
		return w.text("dashboard.age_hours", int64(d/time.Hour))
	}
	return w.text("dashboard.age_days", int64(d/(24*time.Hour)), int64(d%(24*time.Hour)/time.Hour))
}

type tile struct{ Label, Value, Unit string }

type centerOption struct {
	ID, Name string
	Selected bool
}

type flagForm struct {
	ID    int64
	Cells []cell
	Note  string // what was typed, sent back with Error
	Error string
}

type chartView struct {
	SVG     template.HTML
	Caption string
}

type dashView struct {
	Month      string // the month field's value: 2026-03
	MonthTitle string
	Scope      string // the selection's name
	Centers    []centerOption
	OneCenter  bool // the user sees one center: no choice
	Prev, Next string
	Notice     string
	Tiles      []tile
	Lists      map[string]*list
	// Charts, each beside its list.
	CenterChart, ActivityChart, HoursChart, PointsChart *chartView
	Flags                                               []flagForm
	Query                                               string
	StockRule                                           string
}

// dashboardPage is the dashboard; flagErr is a resolve form sent back.
func (w *Web) dashboardPage(p *Page) error { return w.renderDashboard(p, http.StatusOK, nil) }

func (w *Web) renderDashboard(p *Page, status int, sent *flagForm) error {
	sel := w.selection(p)
	d, err := w.read(p, sel, partAll)
	if err != nil {
		return err
	}
	ls := w.lists(d, dashLists...)
	v := dashView{Month: sel.Month.Format(monthFormat), MonthTitle: w.monthTitle(sel.Month), Scope: w.scopeName(d),
		OneCenter: len(d.centers) == 1, Lists: ls, Query: query(sel)}
	for _, c := range d.centers {
		v.Centers = append(v.Centers, centerOption{ID: c.ID, Name: c.Name, Selected: c.ID == sel.Center})
	}
	prev, next := sel, sel
	prev.Month, next.Month = sel.Month.AddDate(0, -1, 0), sel.Month.AddDate(0, 1, 0)
	v.Prev, v.Next = "/dashboard?"+query(prev), "/dashboard?"+query(next)
	if id, err := strconv.ParseInt(p.R.URL.Query().Get(resolvedParam), 10, 64); err == nil {
		v.Notice = p.T("dashboard.flag_resolved", id)
	}
	t := d.report.Total
	v.Tiles = []tile{
		{p.T("dashboard.tile.volunteers"), strconv.FormatInt(t.Volunteers, 10), p.T("dashboard.unit.people")},
		{p.T("dashboard.tile.shifts"), strconv.FormatInt(t.Shifts, 10), p.T("dashboard.unit.shifts")},
		{p.T("dashboard.tile.hours"), hours(t.Minutes).Text, p.T("dashboard.unit.hours")},
		{p.T("dashboard.tile.earned"), strconv.FormatInt(t.Earned, 10), p.T("dashboard.unit.points")},
		{p.T("dashboard.tile.redeemed"), strconv.FormatInt(t.Redeemed, 10), p.T("dashboard.unit.points")},
		{p.T("dashboard.tile.given"), strconv.FormatInt(t.Given, 10), p.T("dashboard.unit.items")},
	}
	v.StockRule = p.T("dashboard.stock_rule", hub.LowStockFloor, int64(hub.LowStockWindow/(24*time.Hour)), hub.LowStockDays)
	w.charts(d, &v)
	for i, f := range d.flags {
		form := flagForm{ID: f.ID, Cells: ls["flags"].Rows[i]}
		if sent != nil && sent.ID == f.ID {
			form.Note, form.Error = sent.Note, sent.Error
		}
		v.Flags = append(v.Flags, form)
	}
	return p.RenderStatus(status, "dashboard", v)
}

// charts draws d's charts into v.
func (w *Web) charts(d *dashboard, v *dashView) {
	unitHours := w.text("dashboard.unit.hours")
	if len(d.report.ByCenter) > 1 {
		c := barChart{Title: w.text("dashboard.chart.hours_by_center", v.MonthTitle)}
		for _, ct := range d.report.ByCenter {
			c.Bars = append(c.Bars, bar{Label: ct.Center.Name, Value: hoursOf(ct.Minutes), Text: hours(ct.Minutes).Text + " " + unitHours})
		}
		v.CenterChart = &chartView{SVG: c.SVG(), Caption: c.Title}
	}
	if len(d.report.ByActivity) > 0 {
		c := barChart{Title: w.text("dashboard.chart.hours_by_activity", v.MonthTitle)}
		// The chart shows the busiest; the list beside it has them all.
		top := slices.Clone(d.report.ByActivity)
		slices.SortStableFunc(top, func(a, b hub.ActivityTally) int { return cmp.Compare(b.Minutes, a.Minutes) })
		for _, a := range top[:min(len(top), activityBars)] {
			label := w.activityName(a)
			if len(d.report.Centers) > 1 {
				label += "·" + a.Center.Name
			}
			c.Bars = append(c.Bars, bar{Label: label, Value: hoursOf(a.Minutes), Text: hours(a.Minutes).Text + " " + unitHours})
		}
		v.ActivityChart = &chartView{SVG: c.SVG(), Caption: c.Title}
	}
	if len(d.trend) > 0 {
		var labels []string
		hrs := series{Name: w.text("dashboard.tile.hours")}
		earned, redeemed := series{Name: w.text("dashboard.tile.earned")}, series{Name: w.text("dashboard.tile.redeemed")}
		for _, m := range d.trend {
			labels = append(labels, w.text("dashboard.month_short", int(m.Month.Month())))
			hrs.Values = append(hrs.Values, hoursOf(m.Minutes))
			hrs.Texts = append(hrs.Texts, hours(m.Minutes).Text+" "+unitHours)
			earned.Values = append(earned.Values, float64(m.Earned))
			redeemed.Values = append(redeemed.Values, float64(m.Redeemed))
		}
		span := w.text("dashboard.span", w.monthTitle(d.trend[0].Month), w.monthTitle(d.trend[len(d.trend)-1].Month))
		hc := lineChart{Title: w.text("dashboard.chart.hours_trend", span), Labels: labels, Series: []series{hrs}}
		pc := lineChart{Title: w.text("dashboard.chart.points_trend", span), Labels: labels, Series: []series{earned, redeemed}}
		v.HoursChart = &chartView{SVG: hc.SVG(), Caption: hc.Title}
		v.PointsChart = &chartView{SVG: pc.SVG(), Caption: pc.Title}
	}
}

// dashboardExport is one list of the dashboard as a file: the page's
// reads for that list alone, in the user's scope.
func (w *Web) dashboardExport(p *Page) error {
	id, format := chi.URLParam(p.R, "list"), chi.URLParam(p.R, "format")
	if _, err := exportFormat(format); err != nil {
		return err
	}
	need := map[string]parts{"centers": partReport, "activities": partReport, "items": partReport, "trend": partTrend,
		"honour": partHonour, "stock": partStock, "flags": partFlags, "kiosks": partKiosks}
	part, ok := need[id]
	if !ok {
		return errNotFound
	}
	sel := w.selection(p)
	d, err := w.read(p, sel, part)
	if err != nil {
		return err
	}
	l := w.lists(d, id)[id]
	day := sel.Month.Format(monthFormat)
	if !monthly(id) {
		day = w.clk.Now().In(chinaTime).Format("2006-01-02")
	}
	name := strings.Join([]string{w.text("section.dashboard"), l.Title, w.scopeName(d), day}, "-")
	if id == "honour" || id == "flags" {
		// People's names and numbers: a download of personal data.
		center := sel.Center
		if center == "" {
			center = p.Scope.Center()
		}
		if err := p.Audit(hub.AuditExport, center, name, format); err != nil {
			return err
		}
	}
	return p.Export(format, l.table(name))
}

// resolveFlag resolves a flag with the note of its form, and goes back to
// the dashboard it was sent from; a form without a note comes back with
// its problem.
func (w *Web) resolveFlag(p *Page) error {
	id, err := strconv.ParseInt(chi.URLParam(p.R, "id"), 10, 64)
	if err != nil {
		return errNotFound
	}
	note := strings.TrimSpace(p.R.PostFormValue("note"))
	// Back to the dashboard the form was on: its center and month only.
	sent, _ := url.ParseQuery(p.R.PostFormValue("back"))
	back := url.Values{}
	for _, k := range []string{centerParam, monthParam} {
		if v := sent.Get(k); v != "" {
			back.Set(k, v)
		}
	}
	if err := hub.ValidFlagNote(note); err != nil {
		p.R.URL.RawQuery = back.Encode()
		msg := p.T("dashboard.note_required")
		if note != "" {
			msg = p.T("dashboard.note_invalid", hub.MaxFlagNote)
		}
		return w.renderDashboard(p, http.StatusUnprocessableEntity, &flagForm{ID: id, Note: note, Error: msg})
	}
	_, err = p.Hub().ResolveFlag(p.Ctx(), p.Scope, p.Actor, id, note)
	// Resolved meanwhile by someone else: the flag is gone from the page,
	// as it would be had this form done it.
	if err != nil && !errors.Is(err, hub.ErrFlagResolved) {
		return err
	}
	back.Set(resolvedParam, strconv.FormatInt(id, 10))
	return p.Redirect("/dashboard?" + back.Encode() + "#flags")
}
