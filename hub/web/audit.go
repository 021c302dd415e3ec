package web

import (
	"strconv"

	"github.com/hongmajia/hongmajia/hub"
)

// auditPageSize is how many entries the audit page shows at once.
const auditPageSize = 50

type auditView struct {
	Rows   []auditRow
	Older  string // the next page's address; "" at the oldest
	Newest bool   // a link to the newest page
}

type auditRow struct {
	When, Who, Addr, What, Center, Subject, Detail string
}

// auditPage is the audit log, newest first, a page at a time: the
// district's alone (the hub refuses any other scope too).
func (w *Web) auditPage(p *Page) error {
	before, _ := strconv.ParseInt(p.R.URL.Query().Get("before"), 10, 64)
	es, err := p.Hub().AuditLog(p.Ctx(), p.Scope, hub.AuditQuery{Before: max(before, 0), Limit: auditPageSize})
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
	v := auditView{Newest: before > 0}
	for _, e := range es {
		row := auditRow{When: e.At.In(chinaTime).Format("2006-01-02 15:04:05"), Who: e.Actor, Addr: e.Addr,
			What: w.known("audit.action."+string(e.Action), string(e.Action)), Center: e.Center, Subject: e.Subject,
			Detail: w.known("audit.detail."+e.Detail, e.Detail)}
		if e.Actor == "" {
			row.Who = w.text("audit.command_line")
		}
		if n, ok := names[e.Center]; ok {
			row.Center = n
		}
		v.Rows = append(v.Rows, row)
	}
	if len(es) == auditPageSize {
		v.Older = "/audit?before=" + strconv.FormatInt(es[len(es)-1].ID, 10)
	}
	return p.Render("audit", v)
}

// known is the catalog's text of key, or raw when the catalog has none
// (a detail a page wrote as it is).
func (w *Web) known(key, raw string) string {
	if raw == "" || !w.cat.Has(key) {
		return raw
	}
	return w.text(key)
}
