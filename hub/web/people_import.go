package web

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/roster"
)

// Importing a list of people: the file is read and checked (the roster's
// rules, then the hub's in a dry run: a member number or a card held
// already), and a preview shows every row's problem before anything is
// saved. Only a file without problems can be imported, all of it in one
// change; its rows wait in memory for that, under a token the preview's
// form carries, for their user alone.

// ImportBodyLimit bounds an import's upload: the roster's largest file
// and the form around it.
const ImportBodyLimit = roster.MaxFileSize + 1<<20

// Limits of the imports waiting for their confirmation.
const (
	// MaxImportRows: a file of more rows is refused (a district's roster
	// is thousands; split a larger one).
	MaxImportRows = 50000
	// maxPendingImports: the oldest preview is dropped beyond it.
	maxPendingImports = 8
	// pendingImportTTL: a preview not confirmed within it is dropped.
	pendingImportTTL = 30 * time.Minute
	// previewRows: the most good rows a preview lists (every problem is
	// listed).
	previewRows = 500
)

// pendingImports are the previews waiting for their 全部导入.
type pendingImports struct {
	mu      sync.Mutex
	clk     clock.Clock
	byToken map[string]*pendingImport
}

type pendingImport struct {
	user, center string
	rows         []roster.Person
	expires      time.Time
}

func newPendingImports(clk clock.Clock) *pendingImports {
	return &pendingImports{clk: clk, byToken: map[string]*pendingImport{}}
}

// put keeps rows for user's confirmation and returns their token.
func (pi *pendingImports) put(user, center string, rows []roster.Person) string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("web: crypto/rand: " + err.Error())
	}
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	pi.mu.Lock()
	defer pi.mu.Unlock()
	now := pi.clk.Now()
	for t, p := range pi.byToken {
		if now.After(p.expires) {
			delete(pi.byToken, t)
		}
	}
	for len(pi.byToken) >= maxPendingImports {
		oldest := ""
		for t, p := range pi.byToken {
			if oldest == "" || p.expires.Before(pi.byToken[oldest].expires) {
				oldest = t
			}
		}
		delete(pi.byToken, oldest)
	}
	pi.byToken[tok] = &pendingImport{user: user, center: center, rows: rows, expires: now.Add(pendingImportTTL)}
	return tok
}

// take removes and returns the rows of token when they are user's and
// not expired.
func (pi *pendingImports) take(token, user string) (*pendingImport, bool) {
	pi.mu.Lock()
	defer pi.mu.Unlock()
	p, ok := pi.byToken[token]
	if !ok || p.user != user {
		return nil, false
	}
	delete(pi.byToken, token)
	if pi.clk.Now().After(p.expires) {
		return nil, false
	}
	return p, true
}

type importView struct {
	Centers []centerOption // district staff choose a center
	Center  string         // the center's name, for a center's staff
	Notice  string
	Error   string
	Detail  string
	Preview *importPreview
}

type importPreview struct {
	File, Source, CenterName string
	Count, Shown             int
	Rows                     []importRow
	Problems                 []importProblem
	Token                    string
}

type importRow struct {
	Line                                         int
	Name, MemberNo, Kind, Phone, Community, Card string
	Bad                                          bool
}

type importProblem struct {
	Line                int
	Column, Value, Text string
}

func (w *Web) importView(p *Page, center string) (importView, error) {
	var v importView
	cs, err := p.Hub().Centers(p.Ctx())
	if err != nil {
		return v, err
	}
	if p.Scope.District() {
		v.Centers = append(v.Centers, centerOption{ID: "", Name: p.T("people.district"), Selected: center == ""})
		for _, c := range cs {
			v.Centers = append(v.Centers, centerOption{ID: c.ID, Name: c.Name, Selected: center == c.ID})
		}
	} else {
		v.Center = p.Scope.Center()
		for _, c := range p.Scope.Centers(cs) {
			v.Center = c.Name
		}
	}
	return v, nil
}

// importForm is the upload form; after an import, what it imported.
func (w *Web) importForm(p *Page) error {
	v, err := w.importView(p, "")
	if err != nil {
		return err
	}
	q := p.R.URL.Query()
	if n, err := strconv.Atoi(q.Get("imported")); err == nil {
		cards, _ := strconv.Atoi(q.Get("cards"))
		v.Notice = p.T("import.done", n, cards)
	}
	return p.Render("people_import", v)
}

// importCenter is the center an import is for: the user's, or the one a
// district user chose.
func importCenter(p *Page) string {
	if p.Scope.District() {
		return p.R.PostFormValue("center")
	}
	return p.Scope.Center()
}

// importPreview reads the file sent, checks every row, and shows them.
func (w *Web) importPreview(p *Page) error {
	center := importCenter(p)
	v, err := w.importView(p, center)
	if err != nil {
		return err
	}
	if err := p.Scope.Check(center); err != nil {
		return err
	}
	f, hdr, err := p.R.FormFile("file")
	if errors.Is(err, http.ErrMissingFile) {
		v.Error = p.T("import.no_file")
		return p.RenderStatus(http.StatusUnprocessableEntity, "people_import", v)
	}
	if err != nil {
		return fmt.Errorf("web: import: %w", err)
	}
	defer f.Close()
	ppl, err := roster.ReadPeople(f)
	if err != nil {
		if !errors.Is(err, roster.ErrFile) {
			return fmt.Errorf("web: import: %w", err)
		}
		v.Error, v.Detail = p.T("import.unreadable"), fileProblem(err)
		return p.RenderStatus(http.StatusUnprocessableEntity, "people_import", v)
	}
	if len(ppl.Rows)+len(ppl.Problems) > MaxImportRows {
		v.Error = p.T("import.too_many", MaxImportRows)
		return p.RenderStatus(http.StatusUnprocessableEntity, "people_import", v)
	}
	pv := &importPreview{File: hdr.Filename, Source: sourceText(p, ppl.Source)}
	for _, pr := range ppl.Problems {
		pv.Problems = append(pv.Problems, importProblem{Line: pr.Line, Column: pr.Column, Value: pr.Value, Text: reasonText(pr.Reason)})
	}
	_, err = p.Hub().ImportPeopleAt(p.Ctx(), p.Scope, p.Actor, center, ppl.Rows, true)
	if err := w.rowProblems(p, pv, ppl.Rows, err); err != nil {
		return err
	}
	w.fillPreview(p, pv, center, ppl.Rows)
	if len(pv.Problems) == 0 && len(ppl.Rows) > 0 {
		pv.Token = w.imports.put(p.User.Name, center, ppl.Rows)
	}
	v.Preview = pv
	if len(pv.Problems) > 0 {
		return p.RenderStatus(http.StatusUnprocessableEntity, "people_import", v)
	}
	return p.Render("people_import", v)
}

// rowProblems adds the problems the hub's import found with rows (err,
// an *hub.ImportError) to pv; another error is returned.
func (w *Web) rowProblems(p *Page, pv *importPreview, rows []roster.Person, err error) error {
	var ie *hub.ImportError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ie):
	default:
		var fe *hub.FieldError
		if errors.As(err, &fe) && fe.Field == hub.FieldCenter {
			return errNotFound
		}
		return err
	}
	for _, re := range ie.Rows {
		if re.Row < 0 || re.Row >= len(rows) {
			continue
		}
		r := rows[re.Row]
		pr := importProblem{Line: r.Line, Text: p.T(problemKey(&hub.FieldError{Field: re.Field, Err: re.Err}))}
		switch re.Field {
		case hub.FieldMemberNo:
			pr.Column, pr.Value = roster.ColMemberNo, r.MemberNo
		case hub.FieldCard:
			pr.Column, pr.Value = roster.ColCard, string(r.Card)
		}
		pv.Problems = append(pv.Problems, pr)
	}
	slices.SortStableFunc(pv.Problems, func(a, b importProblem) int { return a.Line - b.Line })
	return nil
}

// fillPreview lists rows in pv, marking the ones with a problem.
func (w *Web) fillPreview(p *Page, pv *importPreview, center string, rows []roster.Person) {
	bad := map[int]bool{}
	for _, pr := range pv.Problems {
		bad[pr.Line] = true
	}
	pv.Count = len(rows)
	pv.CenterName = p.T("people.district")
	if center != "" {
		pv.CenterName = center
		if cs, err := p.Hub().Centers(p.Ctx()); err == nil {
			for _, c := range cs {
				if c.ID == center {
					pv.CenterName = c.Name
				}
			}
		}
	}
	for _, r := range rows {
		if len(pv.Rows) == previewRows {
			break
		}
		pv.Rows = append(pv.Rows, importRow{Line: r.Line, Name: r.Name, MemberNo: r.MemberNo, Kind: p.kindName(r.Kind),
			Phone: hub.MaskPhone(r.Phone), Community: r.Community, Card: string(r.Card), Bad: bad[r.Line]})
	}
	pv.Shown = len(pv.Rows)
}

// importCommit imports the rows of a preview: all of them, or, when the
// registry changed since (a member number registered meanwhile), none,
// with the preview again saying why.
func (w *Web) importCommit(p *Page) error {
	pending, ok := w.imports.take(p.R.PostFormValue("token"), p.User.Name)
	if !ok {
		v, err := w.importView(p, "")
		if err != nil {
			return err
		}
		v.Error = p.T("import.expired")
		return p.RenderStatus(http.StatusUnprocessableEntity, "people_import", v)
	}
	res, err := p.Hub().ImportPeopleAt(p.Ctx(), p.Scope, p.Actor, pending.center, pending.rows, false)
	if err == nil {
		return p.Redirect(fmt.Sprintf("/people/import?imported=%d&cards=%d", res.People, res.Cards))
	}
	v, verr := w.importView(p, pending.center)
	if verr != nil {
		return verr
	}
	pv := &importPreview{}
	if err := w.rowProblems(p, pv, pending.rows, err); err != nil {
		return err
	}
	w.fillPreview(p, pv, pending.center, pending.rows)
	v.Preview = pv
	return p.RenderStatus(http.StatusUnprocessableEntity, "people_import", v)
}

// sourceText says what the file was read as: CSV and its encoding, or
// the XLSX sheet.
func sourceText(p *Page, s roster.Source) string {
	if s.Format == "xlsx" {
		return p.T("import.source_xlsx", s.Sheet, s.HeaderLine)
	}
	return p.T("import.source_csv", s.Encoding, s.HeaderLine)
}

// fileProblem is what the roster said of a file it could not read,
// without its package's prefix and sentinel.
func fileProblem(err error) string {
	s := strings.TrimSuffix(err.Error(), ": "+roster.ErrFile.Error())
	return strings.TrimPrefix(s, "roster: ")
}
