package web

import (
	"iter"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/hongmajia/hongmajia/hub"
)

// 积分兑换's redemptions: 兑换记录 (/points/redemptions), every redemption
// the kiosks pushed with its pickup code and where it stands, newest
// first, filtered by center, month and state, searched by pickup code or
// member number; and 本月发放 (/points/month), what each center gave out
// in a month, by item. Both download as XLSX or CSV. Nothing here changes
// anything: goods are handed out at the kiosk, with a staff card, where
// they are.

// redemptionRoutes are the redemptions' pages and exports.
func (w *Web) redemptionRoutes(r chi.Router) {
	r.Get("/points/redemptions", w.page(w.redemptionsPage))
	r.Get("/points/redemptions/export.{format}", w.page(w.redemptionsExport))
	r.Get("/points/month", w.page(w.pointsMonthPage))
	r.Get("/points/month/export.{format}", w.page(w.pointsMonthExport))
}

// Query parameters of the list of redemptions (center and month as the
// dashboard's).
const (
	stateParam  = "state"
	searchParam = "q"
	beforeParam = "before"
)

// redemptionStateKeys are the words of each state.
var redemptionStateKeys = map[hub.RedemptionState]string{
	hub.RedemptionWaiting:    "points.state.waiting",
	hub.RedemptionHandedOut:  "points.state.handed-out",
	hub.RedemptionReversed:   "points.state.reversed",
	hub.RedemptionUnreported: "points.state.unreported",
}

// redemptionsFilter is the list's filter as the query says: the center,
// the month (the current one when the query names none, every month when
// it names the empty one), the state, the search, the page.
func (w *Web) redemptionsFilter(p *Page) hub.RedemptionFilter {
	q := p.R.URL.Query()
	f := hub.RedemptionFilter{Center: q.Get(centerParam), Search: strings.TrimSpace(q.Get(searchParam))}
	if !q.Has(monthParam) {
		f.Month = hub.MonthStart(w.clk.Now().In(chinaTime))
	} else if m, err := time.ParseInLocation(monthFormat, q.Get(monthParam), chinaTime); err == nil {
		f.Month = m
	}
	f.State, _ = hub.RedemptionStateOf(q.Get(stateParam))
	f.Before = parseCursor(q.Get(beforeParam))
	return f
}

// redemptionsQuery is f as the list's query (without its page).
func redemptionsQuery(f hub.RedemptionFilter) url.Values {
	v := url.Values{}
	if f.Center != "" {
		v.Set(centerParam, f.Center)
	}
	v.Set(monthParam, "")
	if !f.Month.IsZero() {
		v.Set(monthParam, f.Month.Format(monthFormat))
	}
	if f.State != hub.RedemptionAny {
		v.Set(stateParam, f.State.String())
	}
	if f.Search != "" {
		v.Set(searchParam, f.Search)
	}
	return v
}

// cursor is c in a URL: the hub time in Unix nanoseconds and the id.
func cursor(c hub.RedemptionCursor) string {
	return strconv.FormatInt(c.At.UnixNano(), 10) + "-" + c.ID.String()
}

// parseCursor reads cursor's form; the zero cursor (the newest) for
// anything else.
func parseCursor(s string) hub.RedemptionCursor {
	at, id, ok := strings.Cut(s, "-")
	if !ok {
		return hub.RedemptionCursor{}
	}
	n, err := strconv.ParseInt(at, 10, 64)
	var c hub.RedemptionCursor
	if err != nil || c.ID.UnmarshalText([]byte(id)) != nil {
		return hub.RedemptionCursor{}
	}
	c.At = time.Unix(0, n)
	return c
}

// hubTimeText is a time as a list shows it, marked * when the hub
// corrected it.
func hubTimeText(t time.Time, corrected bool) string {
	if t.IsZero() {
		return ""
	}
	s := t.In(chinaTime).Format("2006-01-02 15:04")
	if corrected {
		s += "*"
	}
	return s
}

// redemptionCells are a redemption's columns, for the page and the
// export alike.
func (w *Web) redemptionCells(r hub.RedemptionRow) []cell {
	person := r.Person.Name
	switch {
	case !r.Person.Known:
		person = w.text("points.redemptions.unknown_person", int64(r.Person.ID))
	case person == "":
		person = w.text("points.redemptions.walk_in")
	}
	item := r.ItemName
	if item == "" {
		item = w.text("points.unknown_item", int64(r.Item))
	}
	// Classes: a time on a line of its own, names that may wrap (wide:
	// a whole row of a phone's card), the code and the state marked.
	at := cell{Text: hubTimeText(r.At, r.Corrected), Value: r.At, Class: "nowrap wide"}
	// Not handed out: an empty time (a column of times in an export).
	handedAt, handedBy := cell{Value: time.Time{}, Class: "nowrap wide"}, cell{}
	if !r.HandedAt.IsZero() {
		handedAt.Text, handedAt.Value = hubTimeText(r.HandedAt, r.HandedCorrected), r.HandedAt
		name := r.HandedByName
		if name == "" {
			name = string(r.HandedBy)
		}
		handedBy = txt(name)
	}
	state := txt(w.text(redemptionStateKeys[r.State]))
	state.Class = "state " + r.State.String()
	code := txt(r.Code)
	code.Class = "mono"
	center := txt(r.CenterName)
	center.Class = "nowrap wide"
	wrap := func(s string) cell { c := txt(s); c.Class = "wrap wide"; return c }
	return []cell{at, center, wrap(person), txt(r.Person.MemberNo), wrap(item), count(r.Qty), count(r.Points), code, state, handedAt, handedBy}
}

// redemptionHeaders are the list's column titles.
func (w *Web) redemptionHeaders() []string {
	return w.headers("points.col.at", "points.col.center", "points.col.person", "points.col.member_no", "points.col.item",
		"points.col.quantity", "points.col.points", "points.col.code", "points.col.state", "points.col.handed_at", "points.col.handed_by")
}

type stateOption struct {
	Value, Label string
	Selected     bool
}

type redemptionsView struct {
	Scope      string // the centers shown
	MonthTitle string // the month shown, or every month
	Centers    []centerOption
	OneCenter  bool
	Month      string // the month field's value; "" every month
	States     []stateOption
	Search     string
	Headers    []string
	Cols       []string
	Rows       [][]cell
	// AllMonths: a search that found nothing in the month shown, asked
	// again over every month (a pickup code of last month is looked up
	// with this month's field filled in).
	AllMonths string
	Older     string // the next page's address; "" on the last
	Newest    string // the first page's, when this is not it
	XLSX, CSV string
	// Notes under the list, when one of its rows needs them.
	Corrected, Unreported, Masked bool
}

// scopeTitle is the name of what the filter shows: a center's, the one
// center a user sees, or every center.
func (w *Web) scopeTitle(cs []hub.Center, center string) string {
	for _, c := range cs {
		if c.ID == center {
			return c.Name
		}
	}
	if len(cs) == 1 {
		return cs[0].Name
	}
	return w.text("points.filter.all_centers")
}

// redemptionsPage is 兑换记录.
func (w *Web) redemptionsPage(p *Page) error {
	f := w.redemptionsFilter(p)
	rows, more, err := p.Hub().Redemptions(p.Ctx(), p.Scope, f)
	if err != nil {
		return err
	}
	cs, err := p.Hub().Centers(p.Ctx())
	if err != nil {
		return err
	}
	cs = p.Scope.Centers(cs)
	q := redemptionsQuery(f)
	v := redemptionsView{Scope: w.scopeTitle(cs, f.Center), OneCenter: len(cs) == 1, Search: f.Search, Headers: w.redemptionHeaders(),
		XLSX: "/points/redemptions/export.xlsx?" + q.Encode(), CSV: "/points/redemptions/export.csv?" + q.Encode()}
	v.MonthTitle = w.text("points.all_months")
	if !f.Month.IsZero() {
		v.Month, v.MonthTitle = f.Month.Format(monthFormat), w.text("points.month.month", f.Month.Year(), int(f.Month.Month()))
	}
	for _, c := range cs {
		v.Centers = append(v.Centers, centerOption{ID: c.ID, Name: c.Name, Selected: c.ID == f.Center})
	}
	v.States = append(v.States, stateOption{Label: w.text("points.filter.any_state"), Selected: f.State == hub.RedemptionAny})
	for _, s := range hub.RedemptionStates() {
		v.States = append(v.States, stateOption{Value: s.String(), Label: w.text(redemptionStateKeys[s]), Selected: s == f.State})
	}
	for _, r := range rows {
		v.Rows = append(v.Rows, w.redemptionCells(r))
		v.Corrected = v.Corrected || r.Corrected || r.HandedCorrected
		v.Unreported = v.Unreported || r.State == hub.RedemptionUnreported
		v.Masked = v.Masked || (r.Person.Known && !r.Person.Full)
	}
	v.Cols = make([]string, len(v.Headers))
	for _, i := range []int{5, 6} {
		v.Cols[i] = "num"
	}
	if more {
		older := redemptionsQuery(f)
		older.Set(beforeParam, cursor(rows[len(rows)-1].Cursor()))
		v.Older = "/points/redemptions?" + older.Encode()
	}
	if !f.Before.IsZero() {
		v.Newest = "/points/redemptions?" + q.Encode()
	}
	if len(rows) == 0 && f.Search != "" && !f.Month.IsZero() {
		all := redemptionsQuery(f)
		all.Set(monthParam, "")
		v.AllMonths = "/points/redemptions?" + all.Encode()
	}
	return p.Render("points_redemptions", v)
}

// redemptionsExport is the list as a file: every redemption the filter
// selects (not a page of them), newest first.
func (w *Web) redemptionsExport(p *Page) error {
	format, err := exportFormat(chi.URLParam(p.R, "format"))
	if err != nil {
		return err
	}
	f := w.redemptionsFilter(p)
	f.Before, f.Limit = hub.RedemptionCursor{}, hub.MaxRedemptionPage
	// The first page is read before anything is sent: a center out of
	// the scope is a 404 page, not a cut download.
	first, more, err := p.Hub().Redemptions(p.Ctx(), p.Scope, f)
	if err != nil {
		return err
	}
	cs, err := p.Hub().Centers(p.Ctx())
	if err != nil {
		return err
	}
	month := w.text("points.all_months")
	if !f.Month.IsZero() {
		month = f.Month.Format(monthFormat)
	}
	name := strings.Join([]string{w.text("points.redemptions.title"), w.scopeTitle(p.Scope.Centers(cs), f.Center), month}, "-")
	rows := func(yield func([]any, error) bool) {
		page := first
		for {
			for _, r := range page {
				cells := w.redemptionCells(r)
				row := make([]any, len(cells))
				for i, c := range cells {
					row[i] = c.Value
				}
				if !yield(row, nil) {
					return
				}
			}
			if !more || len(page) == 0 {
				return
			}
			f.Before = page[len(page)-1].Cursor()
			var err error
			if page, more, err = p.Hub().Redemptions(p.Ctx(), p.Scope, f); err != nil {
				yield(nil, err)
				return
			}
		}
	}
	// People's names and member numbers: the download is audited, under
	// the center it holds (a center's user's own when none was chosen).
	center := f.Center
	if center == "" {
		center = p.Scope.Center()
	}
	return p.exportAudited(format, Table{Name: name, Headers: w.redemptionHeaders(), Rows: iter.Seq2[[]any, error](rows)}, center)
}

// monthTable is a table of 本月发放: a center's items and their total, or
// every center's by item.
type monthTable struct {
	Title   string
	Headers []string
	Cols    []string
	Rows    [][]cell
	Total   []cell
}

type pointsMonthView struct {
	Month, MonthTitle, Scope string
	Centers                  []centerOption
	OneCenter                bool
	Prev, Next               string
	Tiles                    []tile
	Tables                   []monthTable
	Empty                    bool
	XLSX, CSV                string
}

// monthHeaders are the columns of a table of 本月发放; unreported adds the
// units of kiosks that did not report their codes.
func (w *Web) monthHeaders(first string, unreported bool) []string {
	keys := []string{first, "points.month.col.redemptions", "points.month.col.qty", "points.month.col.handed", "points.month.col.waiting"}
	if unreported {
		keys = append(keys, "points.month.col.unreported")
	}
	return w.headers(append(keys, "points.month.col.reversed", "points.month.col.points")...)
}

// monthCells are a sum's cells after its first.
func monthCells(first cell, s hub.RedemptionSum, unreported bool) []cell {
	out := []cell{first, count(s.Redemptions), count(s.Qty), count(s.HandedOut), count(s.Waiting)}
	if unreported {
		out = append(out, count(s.Unreported))
	}
	return append(out, count(s.Reversed), count(s.Points))
}

func (w *Web) itemTitle(it hub.ItemRedemptions) string {
	if it.Name == "" {
		return w.text("points.unknown_item", int64(it.Item))
	}
	return it.Name
}

// pointsMonthPage is 本月发放.
func (w *Web) pointsMonthPage(p *Page) error {
	sel := w.selection(p)
	m, err := p.Hub().RedemptionMonth(p.Ctx(), p.Scope, sel)
	if err != nil {
		return err
	}
	cs, err := p.Hub().Centers(p.Ctx())
	if err != nil {
		return err
	}
	cs = p.Scope.Centers(cs)
	q := query(sel)
	v := pointsMonthView{Month: sel.Month.Format(monthFormat), MonthTitle: w.text("points.month.month", sel.Month.Year(), int(sel.Month.Month())),
		Scope: w.scopeTitle(cs, sel.Center), OneCenter: len(cs) == 1, Empty: m.Total.Redemptions == 0 && m.Total.Reversed == 0,
		XLSX: "/points/month/export.xlsx?" + q, CSV: "/points/month/export.csv?" + q}
	for _, c := range cs {
		v.Centers = append(v.Centers, centerOption{ID: c.ID, Name: c.Name, Selected: c.ID == sel.Center})
	}
	prev, next := sel, sel
	prev.Month, next.Month = sel.Month.AddDate(0, -1, 0), sel.Month.AddDate(0, 1, 0)
	v.Prev, v.Next = "/points/month?"+query(prev), "/points/month?"+query(next)
	t := m.Total
	v.Tiles = []tile{
		{w.text("points.month.tile.redemptions"), strconv.FormatInt(t.Redemptions, 10), w.text("points.unit.times")},
		{w.text("points.month.tile.qty"), strconv.FormatInt(t.Qty, 10), w.text("points.unit.items")},
		{w.text("points.month.tile.handed"), strconv.FormatInt(t.HandedOut, 10), w.text("points.unit.items")},
		{w.text("points.month.tile.waiting"), strconv.FormatInt(t.Waiting, 10), w.text("points.unit.items")},
	}
	if t.Unreported > 0 {
		v.Tiles = append(v.Tiles, tile{w.text("points.month.tile.unreported"), strconv.FormatInt(t.Unreported, 10), w.text("points.unit.items")})
	}
	v.Tiles = append(v.Tiles, tile{w.text("points.month.tile.points"), strconv.FormatInt(t.Points, 10), w.text("points.unit.points")})
	unreported := t.Unreported > 0
	total := txt(w.text("points.month.total"))
	for _, c := range m.Centers {
		if len(c.Items) == 0 {
			continue // a center without a redemption: the tiles say 0
		}
		tb := monthTable{Title: c.Center.Name, Headers: w.monthHeaders("points.month.col.item", unreported)}
		for _, it := range c.Items {
			tb.Rows = append(tb.Rows, monthCells(txt(w.itemTitle(it)), it.RedemptionSum, unreported))
		}
		tb.Total = monthCells(total, c.Total, unreported)
		v.Tables = append(v.Tables, tb)
	}
	if len(v.Tables) > 1 {
		tb := monthTable{Title: w.text("points.month.by_item"), Headers: w.monthHeaders("points.month.col.item", unreported)}
		for _, it := range m.Items {
			tb.Rows = append(tb.Rows, monthCells(txt(w.itemTitle(it)), it.RedemptionSum, unreported))
		}
		tb.Total = monthCells(txt(w.text("points.month.all_total")), m.Total, unreported)
		v.Tables = append(v.Tables, tb)
	}
	for i := range v.Tables {
		v.Tables[i].Cols = make([]string, len(v.Tables[i].Headers))
		for j := 1; j < len(v.Tables[i].Cols); j++ {
			v.Tables[i].Cols[j] = "num"
		}
	}
	return p.Render("points_month", v)
}

// pointsMonthExport is 本月发放 as a file: a row per center and item, each
// center's total, and every center's.
func (w *Web) pointsMonthExport(p *Page) error {
	format, err := exportFormat(chi.URLParam(p.R, "format"))
	if err != nil {
		return err
	}
	sel := w.selection(p)
	m, err := p.Hub().RedemptionMonth(p.Ctx(), p.Scope, sel)
	if err != nil {
		return err
	}
	cs, err := p.Hub().Centers(p.Ctx())
	if err != nil {
		return err
	}
	headers := append([]string{w.text("points.month.col.center")}, w.monthHeaders("points.month.col.item", true)...)
	var rows [][]any
	add := func(center, item string, s hub.RedemptionSum) {
		row := []any{center}
		for _, c := range monthCells(txt(item), s, true) {
			row = append(row, c.Value)
		}
		rows = append(rows, row)
	}
	total := w.text("points.month.total")
	for _, c := range m.Centers {
		for _, it := range c.Items {
			add(c.Center.Name, w.itemTitle(it), it.RedemptionSum)
		}
		add(c.Center.Name, total, c.Total)
	}
	if len(m.Centers) > 1 {
		add(w.text("points.month.all_total"), total, m.Total)
	}
	name := strings.Join([]string{w.text("points.month.title"), w.scopeTitle(p.Scope.Centers(cs), sel.Center), sel.Month.Format(monthFormat)}, "-")
	return p.Export(format, Table{Name: name, Headers: headers, Rows: RowsOf(rows)})
}
