package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// The catalog (物品目录), the items' pictures and each center's stock
// (库存). The catalog is the district's: district staff add and change
// items and their pictures; a center's staff see the catalog and their
// center's stock, and restock their center (its goods arrive at its own
// desk). What a user sees and may change is the hub's to decide
// (hub.Catalog, hub.Restock take the page's Scope): another center's id
// in an address is not found.

// Sizes of the section's pages.
const (
	thumbSize     = 64 // CSS pixels of a list's thumbnail (its box; the picture covers it)
	restocksShown = 50 // restocks a page lists (the export has them all)
)

// periodKeys are the words of each limit's period, in the order a form
// offers them.
var periodKeys = []struct{ Period, Key string }{
	{hubsync.PeriodNone, "points.period.none"},
	{hubsync.PeriodDay, "points.period.day"},
	{hubsync.PeriodWeek, "points.period.week"},
	{hubsync.PeriodMonth, "points.period.month"},
	{hubsync.PeriodYear, "points.period.year"},
}

func (p *Page) periodName(period string) string {
	for _, k := range periodKeys {
		if k.Period == period {
			return p.T(k.Key)
		}
	}
	return period
}

// limitText is an item's limit in words: 每月 2 件, or 不限.
func (p *Page) limitText(it hub.Item) string {
	if it.LimitCount == 0 {
		return p.T("points.no_limit")
	}
	return p.T("points.limit_n", p.periodName(it.LimitPeriod), it.LimitCount)
}

func (p *Page) itemState(it hub.Item) string {
	if it.Active {
		return p.T("points.active")
	}
	return p.T("points.withdrawn")
}

// catalogItemID is the item of the URL's {id}: not found when it is not a
// number.
func catalogItemID(p *Page) (record.ItemID, error) {
	id, err := strconv.ParseInt(chi.URLParam(p.R, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return record.ItemID(id), nil
}

func catalogItemPath(id record.ItemID) string {
	return "/points/catalog/" + strconv.FormatInt(int64(id), 10)
}

func restockPath(center string, id record.ItemID) string {
	return "/points/stock/" + center + "/" + strconv.FormatInt(int64(id), 10)
}

// pictureView is an item's picture on a page: its address (with its
// version: a browser keeps it) and its size.
type pictureView struct {
	Src, Thumb    string
	Width, Height int
}

func pictureOf(ci hub.CatalogItem) *pictureView {
	if ci.Picture == nil {
		return nil
	}
	base := "/points/pictures/" + strconv.FormatInt(int64(ci.ID), 10) + "/" + ci.Picture.Tag()
	return &pictureView{Src: base + ".jpg", Thumb: base + "-s.jpg", Width: ci.Picture.Width, Height: ci.Picture.Height}
}

// itemPicture serves an item's picture (…/TAG.jpg) or its thumbnail
// (…/TAG-s.jpg) to a logged-in user, for a year from the browser's cache:
// another picture has another TAG, and an old TAG is not found.
func (w *Web) itemPicture(p *Page) error {
	id, err := catalogItemID(p)
	if err != nil {
		return err
	}
	file := chi.URLParam(p.R, "file")
	tag, thumb := strings.TrimSuffix(file, ".jpg"), false
	if t, ok := strings.CutSuffix(tag, "-s"); ok {
		tag, thumb = t, true
	}
	pic, err := p.Hub().ItemPicture(p.Ctx(), p.Scope, id)
	if err != nil {
		return err
	}
	if !strings.HasSuffix(file, ".jpg") || tag != pic.Tag() {
		return errNotFound
	}
	body := pic.Large
	if thumb {
		body = pic.Thumb
	}
	h := p.rw.Header()
	h.Set("Content-Type", "image/jpeg")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	// Behind a login: the browser's cache only, never a shared one.
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	_, err = p.rw.Write(body)
	if err != nil {
		w.log.Warn("web: picture cut", "path", p.R.URL.Path, "err", err)
	}
	return nil
}

// ---- the catalog

// stockCell is an item's stock at a center on a page.
type stockCell struct {
	Center, CenterName string
	Qty, Given         int64
	Held, Low          bool
	Path               string // its restock page
}

func cellOf(s hub.CenterStock) stockCell {
	return stockCell{Center: s.Center.ID, CenterName: s.Center.Name, Qty: s.Qty, Given: s.Given, Held: s.Held, Low: lowOf(s),
		Path: restockPath(s.Center.ID, s.Item.ID)}
}

type itemRow struct {
	Path, Name, Price, Limit string
	Active                   bool
	Picture                  *pictureView
	// Stock is the item's at the user's center, or its total at every
	// center; Low how many of its centers run low.
	Stock int64
	Low   int
}

type catalogView struct {
	District  bool
	Rows      []itemRow
	StockHead string
	XLSX, CSV string
	Thumb     int
}

// catalogPage lists the catalog: each item's picture, price, limit, state
// and stock.
func (w *Web) catalogPage(p *Page) error {
	cat, err := p.Hub().Catalog(p.Ctx(), p.Scope, "", chinaTime)
	if err != nil {
		return err
	}
	v := catalogView{District: p.Scope.District(), StockHead: p.T("points.col.stock_here"), XLSX: "/points/catalog/export.xlsx",
		CSV: "/points/catalog/export.csv", Thumb: thumbSize}
	if v.District {
		v.StockHead = p.T("points.col.stock_total")
	}
	for _, ci := range cat.Items {
		r := itemRow{Path: catalogItemPath(ci.ID), Name: ci.Name, Price: strconv.FormatInt(ci.Price, 10), Limit: p.limitText(ci.Item), Active: ci.Active,
			Picture: pictureOf(ci), Stock: ci.Total()}
		for _, s := range ci.Stock {
			if lowOf(s) {
				r.Low++
			}
		}
		v.Rows = append(v.Rows, r)
	}
	return p.Render("points_catalog", v)
}

// pointsExportName is a file's name: the section, the list, whose and the day.
func (w *Web) pointsExportName(list, whose string) string {
	return strings.Join([]string{w.text("section.points"), list, whose, w.clk.Now().In(chinaTime).Format("2006-01-02")}, "-")
}

// centersName is the name of the centers a list is of: the one, or 全部中心.
func (w *Web) centersName(cs []hub.Center) string {
	if len(cs) == 1 {
		return cs[0].Name
	}
	return w.text("points.all_centers")
}

// catalogExport is the catalog as a file: each item, and its stock at each
// center the user sees.
func (w *Web) catalogExport(p *Page) error {
	format, err := exportFormat(chi.URLParam(p.R, "format"))
	if err != nil {
		return err
	}
	cat, err := p.Hub().Catalog(p.Ctx(), p.Scope, "", chinaTime)
	if err != nil {
		return err
	}
	headers := w.headers("points.col.name", "points.col.price", "points.col.limit_count", "points.col.limit_period", "points.col.state")
	for _, c := range cat.Centers {
		headers = append(headers, p.T("points.col.stock_at", c.Name))
	}
	if len(cat.Centers) > 1 {
		headers = append(headers, p.T("points.col.stock_total"))
	}
	var rows [][]any
	for _, ci := range cat.Items {
		// No limit reads 不限, as on the page, not a blank beside a 0.
		period := p.T("points.no_limit")
		if ci.LimitCount > 0 {
			period = p.periodName(ci.LimitPeriod)
		}
		row := []any{ci.Name, ci.Price, ci.LimitCount, period, p.itemState(ci.Item)}
		for _, s := range ci.Stock {
			if s.Held {
				row = append(row, s.Qty)
			} else {
				row = append(row, nil)
			}
		}
		if len(cat.Centers) > 1 {
			row = append(row, ci.Total())
		}
		rows = append(rows, row)
	}
	return p.Export(format, Table{Name: w.pointsExportName(p.T("points.catalog"), w.centersName(cat.Centers)), Headers: headers, Rows: RowsOf(rows)})
}

// ---- an item: its page, the form that adds or changes one

// itemForm is the form of an item's fields and picture: a new one's, or a
// change's.
type itemForm struct {
	Title   string
	Action  string
	Back    string       // the item's page; "" for a new one
	Picture *pictureView // the item's picture now
	Values  map[string]string
	Active  bool
	Periods []kindOption
	// Problems are the form's problems, in the form's order; ByField the
	// same by field name; First has the focus.
	Problems []formProblem
	ByField  map[string]string
	First    string
	Max      struct{ Name, Price, Limit, Picture int }
}

// itemFields are the form's fields and their labels, in the form's order.
var itemFields = []struct{ Name, Label string }{
	{"name", "points.col.name"},
	{"price", "points.col.price"},
	{"limit", "points.col.limit_count"},
	{"period", "points.col.limit_period"},
	{"active", "points.col.state"},
	{"picture", "points.picture"},
}

var itemFieldOf = map[hub.Field]string{hub.FieldName: "name", hub.FieldPrice: "price", hub.FieldLimit: "limit", hub.FieldPeriod: "period",
	hub.FieldPicture: "picture"}

func (w *Web) itemForm(p *Page, f itemForm, problems []formProblem) itemForm {
	f.Problems, f.ByField = sortProblems(problems), map[string]string{}
	f.Max.Name, f.Max.Price, f.Max.Limit, f.Max.Picture = hub.MaxItemName, hub.MaxPrice, hub.MaxLimitCount, hub.MaxPictureBytes>>20
	for _, pr := range f.Problems {
		f.ByField[pr.Field] = pr.Text
	}
	if len(f.Problems) > 0 {
		f.First = f.Problems[0].Field
	}
	for _, k := range periodKeys {
		f.Periods = append(f.Periods, kindOption{Value: k.Period, Name: p.T(k.Key), Selected: f.Values["period"] == k.Period})
	}
	return f
}

// itemProblem is the form's problem a hub.FieldError of an item says;
// false for any other error.
func (w *Web) itemProblem(p *Page, err error) (formProblem, bool) {
	var fe *hub.FieldError
	if !errors.As(err, &fe) {
		return formProblem{}, false
	}
	field, ok := itemFieldOf[fe.Field]
	if !ok {
		return formProblem{}, false
	}
	var text string
	switch {
	case fe.Field == hub.FieldName && errors.Is(err, hub.ErrExists):
		text = p.T("points.problem.name_taken")
	case fe.Field == hub.FieldName:
		text = p.T("points.problem.name", hub.MaxItemName)
	case fe.Field == hub.FieldPrice:
		text = p.T("points.problem.price", hub.MaxPrice)
	case fe.Field == hub.FieldLimit:
		text = p.T("points.problem.limit", hub.MaxLimitCount)
	case fe.Field == hub.FieldPeriod:
		text = p.T("points.problem.period")
	case errors.Is(err, hub.ErrPictureTooLarge):
		text = p.T("points.problem.picture_large", hub.MaxPictureBytes>>20, hub.MaxPicturePixels/10000)
	default:
		text = p.T("points.problem.not_picture")
	}
	pr := formProblem{Field: field, Text: text}
	for _, f := range itemFields {
		if f.Name == field {
			pr.Label = p.T(f.Label)
		}
	}
	return pr, true
}

// readItemForm reads an item's fields and picture from the form sent, with
// the problems of each: a number that is not one, the hub's rules (the
// first field they refuse), a picture the hub cannot use.
func (w *Web) readItemForm(p *Page) (hub.ItemFields, *hub.Picture, map[string]string, []formProblem, error) {
	values := map[string]string{}
	for _, f := range []string{"name", "price", "limit", "period"} {
		values[f] = p.R.PostFormValue(f)
	}
	f := hub.ItemFields{Name: values["name"], LimitPeriod: values["period"], Active: p.R.PostFormValue("active") != ""}
	var problems []formProblem
	number := func(field string, key hub.Field) int64 {
		s := strings.TrimSpace(values[field])
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			pr, _ := w.itemProblem(p, &hub.FieldError{Field: key, Err: record.ErrInvalid})
			problems = append(problems, pr)
		}
		return n
	}
	f.Price = number("price", hub.FieldPrice)
	f.LimitCount = number("limit", hub.FieldLimit)
	if _, err := hub.CheckItem(f); err != nil {
		if pr, ok := w.itemProblem(p, err); ok && !hasProblem(problems, pr.Field) {
			problems = append(problems, pr)
		}
	}
	pic, err := w.readPicture(p)
	if err != nil {
		pr, ok := w.itemProblem(p, err)
		if !ok {
			return f, nil, values, nil, err
		}
		problems = append(problems, pr)
	}
	return f, pic, values, problems, nil
}

// readPicture reads the form's picture and makes the item's picture of it
// (hub.MakePicture: a *hub.FieldError refuses it); nil when none was
// chosen.
func (w *Web) readPicture(p *Page) (*hub.Picture, error) {
	f, _, err := p.R.FormFile("picture")
	if errors.Is(err, http.ErrMissingFile) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("web: picture: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, hub.MaxPictureBytes+1))
	if err != nil {
		return nil, fmt.Errorf("web: picture: %w", err)
	}
	if len(data) == 0 {
		return nil, nil // a file field sent empty: no picture chosen
	}
	pic, err := hub.MakePicture(data)
	if err != nil {
		return nil, err
	}
	return &pic, nil
}

func hasProblem(ps []formProblem, field string) bool {
	for _, p := range ps {
		if p.Field == field {
			return true
		}
	}
	return false
}

// sortProblems puts ps in the form's order.
func sortProblems(ps []formProblem) []formProblem {
	var out []formProblem
	for _, f := range itemFields {
		for _, pr := range ps {
			if pr.Field == f.Name {
				out = append(out, pr)
			}
		}
	}
	return out
}

// itemNew is the form of a new item (district staff).
func (w *Web) itemNew(p *Page) error {
	f := itemForm{Title: p.T("points.new"), Action: "/points/catalog/new", Values: map[string]string{}, Active: true}
	return p.Render("points_catalog_form", w.itemForm(p, f, nil))
}

// itemAdd adds the form's item, with its picture when one was chosen; the
// form comes back with its problems (422).
func (w *Web) itemAdd(p *Page) error {
	f, pic, values, problems, err := w.readItemForm(p)
	if err != nil {
		return err
	}
	if len(problems) == 0 {
		it, err := p.Hub().AddItem(p.Ctx(), p.Scope, p.Actor, f, pic)
		if err == nil {
			return p.Redirect(catalogItemPath(it.ID) + "?done=added")
		}
		pr, ok := w.itemProblem(p, err)
		if !ok {
			return err
		}
		problems = append(problems, pr)
	}
	form := itemForm{Title: p.T("points.new"), Action: "/points/catalog/new", Values: values, Active: f.Active}
	return p.RenderStatus(http.StatusUnprocessableEntity, "points_catalog_form", w.itemForm(p, form, problems))
}

// editForm is the form that changes the item of the URL, its fields as
// they are.
func (w *Web) editForm(p *Page) (itemForm, record.ItemID, error) {
	id, err := catalogItemID(p)
	if err != nil {
		return itemForm{}, 0, err
	}
	cat, err := p.Hub().Catalog(p.Ctx(), p.Scope, "", chinaTime)
	if err != nil {
		return itemForm{}, 0, err
	}
	ci, ok := cat.Item(id)
	if !ok {
		return itemForm{}, 0, errNotFound
	}
	path := catalogItemPath(id)
	values := map[string]string{"name": ci.Name, "price": strconv.FormatInt(ci.Price, 10), "limit": strconv.FormatInt(ci.LimitCount, 10),
		"period": ci.LimitPeriod}
	return itemForm{Title: p.T("points.edit_title", ci.Name), Action: path + "/edit", Back: path, Picture: pictureOf(ci), Values: values,
		Active: ci.Active}, id, nil
}

// itemEdit is the form that changes an item (district staff).
func (w *Web) itemEdit(p *Page) error {
	f, _, err := w.editForm(p)
	if err != nil {
		return err
	}
	return p.Render("points_catalog_form", w.itemForm(p, f, nil))
}

// itemChange changes the item as the form says, its picture too when one
// was chosen; the form comes back with its problems (422).
func (w *Web) itemChange(p *Page) error {
	form, id, err := w.editForm(p)
	if err != nil {
		return err
	}
	f, pic, values, problems, err := w.readItemForm(p)
	if err != nil {
		return err
	}
	if len(problems) == 0 {
		_, err := p.Hub().ChangeItem(p.Ctx(), p.Scope, p.Actor, id, f, pic)
		if err == nil {
			return p.Redirect(catalogItemPath(id) + "?done=changed")
		}
		pr, ok := w.itemProblem(p, err)
		if !ok {
			return err
		}
		problems = append(problems, pr)
	}
	form.Values, form.Active = values, f.Active
	return p.RenderStatus(http.StatusUnprocessableEntity, "points_catalog_form", w.itemForm(p, form, problems))
}

type itemView struct {
	Name, Path, Price, Limit string
	// ChangedBy is the kiosk whose change the item is as it stands ("":
	// the hub's).
	ChangedBy        string
	Active, District bool
	Picture          *pictureView
	Stock            []stockCell
	Restocks         []restockRow
	Done             string
	LowRule          string
}

// itemDone are the notices an item's page shows after a change (?done=).
var itemDone = map[string]string{
	"added":   "points.done.added",
	"changed": "points.done.changed",
}

// lowRule says when stock runs low: the dashboard's words.
func (w *Web) lowRule() string {
	return w.text("dashboard.stock_rule", hub.LowStockFloor, int64(hub.LowStockWindow/(24*time.Hour)), hub.LowStockDays)
}

// itemPage is an item: its picture, price, limit, stock at each center the
// user sees (each leading to its restock) and its restocks.
func (w *Web) itemPage(p *Page) error {
	id, err := catalogItemID(p)
	if err != nil {
		return err
	}
	cat, err := p.Hub().Catalog(p.Ctx(), p.Scope, "", chinaTime)
	if err != nil {
		return err
	}
	ci, ok := cat.Item(id)
	if !ok {
		return errNotFound
	}
	v := itemView{Name: ci.Name, Path: catalogItemPath(id), Price: strconv.FormatInt(ci.Price, 10), Limit: p.limitText(ci.Item),
		ChangedBy: ci.ChangedBy, Active: ci.Active, District: p.Scope.District(), Picture: pictureOf(ci), LowRule: w.lowRule()}
	for _, s := range ci.Stock {
		v.Stock = append(v.Stock, cellOf(s))
	}
	rs, err := p.Hub().Restocks(p.Ctx(), p.Scope, "", id, 0, restocksShown)
	if err != nil {
		return err
	}
	v.Restocks = restockRows(catalogNames{p, cat}, rs)
	if k, ok := itemDone[p.R.URL.Query().Get("done")]; ok {
		v.Done = p.T(k)
	}
	return p.Render("points_catalog_item", v)
}

// ---- stock

// catalogNames names the centers and items of a catalog.
type catalogNames struct {
	p   *Page
	cat hub.Catalog
}

func (n catalogNames) center(id string) string {
	for _, c := range n.cat.Centers {
		if c.ID == id {
			return c.Name
		}
	}
	return id
}

func (n catalogNames) item(id record.ItemID) string {
	if ci, ok := n.cat.Item(id); ok {
		return ci.Name
	}
	return n.p.T("points.unknown_item", int64(id))
}

type restockRow struct {
	When, Center, Item, ItemPath, Qty, After, Reason, By string
	Out                                                  bool // taken away
}

// restockRows are rs on a page.
func restockRows(n catalogNames, rs []hub.Restock) []restockRow {
	var out []restockRow
	for _, r := range rs {
		out = append(out, restockRow{When: r.At.In(chinaTime).Format("2006-01-02 15:04"), Center: n.center(r.Center), Item: n.item(r.Item),
			ItemPath: catalogItemPath(r.Item), Qty: fmt.Sprintf("%+d", r.Qty), After: strconv.FormatInt(r.After, 10), Reason: r.Reason, By: r.By,
			Out: r.Qty < 0})
	}
	return out
}

type stockRow struct {
	Name, Path string
	Active     bool
	Cells      []stockCell
}

type stockView struct {
	Title     string
	Centers   []centerOption // district staff choose a center
	Matrix    bool           // every center's: items by centers
	Heads     []string       // the matrix's centers
	Rows      []stockRow
	LowRule   string
	XLSX, CSV string
	Restocks  []restockRow
	HistXLSX  string
	HistCSV   string
}

// stockQuery is the stock pages' query: their center, when one is asked.
func stockQuery(center string) string {
	if center == "" {
		return ""
	}
	return "?" + url.Values{"center": {center}}.Encode()
}

// stockPage is the stock of every item at the centers the user sees (one
// center when asked: ?center=), the low ones marked, and the latest
// restocks; each cell leads to its restock.
func (w *Web) stockPage(p *Page) error {
	center := p.R.URL.Query().Get("center")
	cat, err := p.Hub().Catalog(p.Ctx(), p.Scope, center, chinaTime)
	if err != nil {
		return err
	}
	q := stockQuery(center)
	v := stockView{Title: p.T("points.stock_of", w.centersName(cat.Centers)), Matrix: len(cat.Centers) > 1, LowRule: w.lowRule(),
		XLSX: "/points/stock/export.xlsx" + q, CSV: "/points/stock/export.csv" + q,
		HistXLSX: "/points/stock/restocks.xlsx" + q, HistCSV: "/points/stock/restocks.csv" + q}
	if p.Scope.District() {
		all, err := p.Hub().Centers(p.Ctx())
		if err != nil {
			return err
		}
		for _, c := range p.Scope.Centers(all) {
			v.Centers = append(v.Centers, centerOption{ID: c.ID, Name: c.Name, Selected: c.ID == center})
		}
	}
	for _, c := range cat.Centers {
		v.Heads = append(v.Heads, c.Name)
	}
	for _, ci := range cat.Items {
		r := stockRow{Name: ci.Name, Path: catalogItemPath(ci.ID), Active: ci.Active}
		for _, s := range ci.Stock {
			r.Cells = append(r.Cells, cellOf(s))
		}
		v.Rows = append(v.Rows, r)
	}
	rs, err := p.Hub().Restocks(p.Ctx(), p.Scope, center, 0, 0, restocksShown)
	if err != nil {
		return err
	}
	v.Restocks = restockRows(catalogNames{p, cat}, rs)
	return p.Render("points_stock", v)
}

// stockExport is the stock as a file: a row for each item each center the
// page shows holds.
func (w *Web) stockExport(p *Page) error {
	format, err := exportFormat(chi.URLParam(p.R, "format"))
	if err != nil {
		return err
	}
	cat, err := p.Hub().Catalog(p.Ctx(), p.Scope, p.R.URL.Query().Get("center"), chinaTime)
	if err != nil {
		return err
	}
	headers := w.headers("points.col.center", "points.col.name", "points.col.qty", "points.col.given", "points.col.low", "points.col.state")
	var rows [][]any
	for i, c := range cat.Centers {
		for _, ci := range cat.Items {
			s := ci.Stock[i]
			if !s.Held {
				continue
			}
			low := ""
			if lowOf(s) {
				low = p.T("points.low")
			}
			rows = append(rows, []any{c.Name, ci.Name, s.Qty, s.Given, low, p.itemState(ci.Item)})
		}
	}
	return p.Export(format, Table{Name: w.pointsExportName(p.T("points.stock"), w.centersName(cat.Centers)), Headers: headers, Rows: RowsOf(rows)})
}

// restocksExport is the history of restocks at the centers the page shows
// as a file: all of it, read a page at a time as it is written.
func (w *Web) restocksExport(p *Page) error {
	format, err := exportFormat(chi.URLParam(p.R, "format"))
	if err != nil {
		return err
	}
	center := p.R.URL.Query().Get("center")
	cat, err := p.Hub().Catalog(p.Ctx(), p.Scope, center, chinaTime)
	if err != nil {
		return err
	}
	n := catalogNames{p, cat}
	rows := func(yield func([]any, error) bool) {
		var before int64
		for {
			page, err := p.Hub().Restocks(p.Ctx(), p.Scope, center, 0, before, 0)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, r := range page {
				if !yield([]any{r.At, n.center(r.Center), n.item(r.Item), r.Qty, r.After, r.Reason, r.By}, nil) {
					return
				}
			}
			if len(page) < hub.MaxRestocks {
				return
			}
			before = page[len(page)-1].ID
		}
	}
	headers := w.headers("points.col.when", "points.col.center", "points.col.name", "points.col.restock_qty", "points.col.after", "points.col.reason", "points.col.by")
	return p.Export(format, Table{Name: w.pointsExportName(p.T("points.restocks"), w.centersName(cat.Centers)), Headers: headers, Rows: rows})
}

// ---- a restock

type restockView struct {
	Item, ItemPath, Center, Path string
	Qty, Given                   int64
	Held, Low, Active            bool
	LowRule                      string
	Values                       map[string]string
	Problems                     []formProblem
	ByField                      map[string]string
	First                        string
	Done                         string
	Restocks                     []restockRow
	MaxQty, MaxReason            int
}

// restockView is the restock page of the URL's center and item: not
// found when the user does not see the center, or there is no such item.
func (w *Web) restockView(p *Page) (restockView, hub.RestockRequest, error) {
	id, err := catalogItemID(p)
	if err != nil {
		return restockView{}, hub.RestockRequest{}, err
	}
	center := chi.URLParam(p.R, "center")
	cat, err := p.Hub().Catalog(p.Ctx(), p.Scope, center, chinaTime)
	if err != nil {
		return restockView{}, hub.RestockRequest{}, err
	}
	ci, ok := cat.Item(id)
	if !ok || len(ci.Stock) != 1 {
		return restockView{}, hub.RestockRequest{}, errNotFound
	}
	s := ci.Stock[0]
	v := restockView{Item: ci.Name, ItemPath: catalogItemPath(id), Center: s.Center.Name, Path: restockPath(center, id), Qty: s.Qty, Given: s.Given,
		Held: s.Held, Low: lowOf(s), Active: ci.Active, LowRule: w.lowRule(), Values: map[string]string{}, ByField: map[string]string{},
		MaxQty: hub.MaxRestock, MaxReason: hub.MaxRestockReason}
	rs, err := p.Hub().Restocks(p.Ctx(), p.Scope, center, id, 0, restocksShown)
	if err != nil {
		return restockView{}, hub.RestockRequest{}, err
	}
	v.Restocks = restockRows(catalogNames{p, cat}, rs)
	return v, hub.RestockRequest{Center: center, Item: id}, nil
}

// restockPage is an item's stock at a center, the form that restocks or
// corrects it, and its restocks.
func (w *Web) restockPage(p *Page) error {
	v, _, err := w.restockView(p)
	if err != nil {
		return err
	}
	if p.R.URL.Query().Get("done") == "restocked" {
		v.Done = p.T("points.done.restocked", v.Qty)
	}
	return p.Render("points_stock_restock", v)
}

// restockFields are the restock form's fields and their labels.
var restockFields = []struct{ Name, Label string }{{"qty", "points.restock_qty"}, {"reason", "points.reason"}}

// restock restocks (or corrects) the item at the center as the form says;
// the form comes back with its problems (422).
func (w *Web) restock(p *Page) error {
	v, req, err := w.restockView(p)
	if err != nil {
		return err
	}
	v.Values["qty"], v.Values["reason"] = p.R.PostFormValue("qty"), p.R.PostFormValue("reason")
	req.Reason = v.Values["reason"]
	req.Qty, err = strconv.ParseInt(strings.TrimSpace(v.Values["qty"]), 10, 64)
	if err == nil {
		_, err = p.Hub().Restock(p.Ctx(), p.Scope, p.Actor, req)
		if err == nil {
			return p.Redirect(v.Path + "?done=restocked")
		}
	} else {
		err = &hub.FieldError{Field: hub.FieldQty, Err: record.ErrInvalid}
	}
	var fe *hub.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	pr := formProblem{Field: "qty", Text: p.T("points.problem.qty", hub.MaxRestock)}
	switch {
	case fe.Field == hub.FieldReason:
		pr = formProblem{Field: "reason", Text: p.T("points.problem.reason", hub.MaxRestockReason)}
	case errors.Is(err, hub.ErrBelowZero):
		pr.Text = p.T("points.problem.below_zero", v.Qty)
	}
	for _, f := range restockFields {
		if f.Name == pr.Field {
			pr.Label = p.T(f.Label)
		}
	}
	v.Problems, v.ByField[pr.Field], v.First = []formProblem{pr}, pr.Text, pr.Field
	return p.RenderStatus(http.StatusUnprocessableEntity, "points_stock_restock", v)
}
