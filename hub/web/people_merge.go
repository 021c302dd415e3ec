package web

import (
	"errors"
	"strconv"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/record"
)

// Merging a walk-in: a kiosk registers a visitor without a registration
// as a walk-in (临时登记, member number W-…); once the person registers at
// the desk, the walk-in is merged into the registration, its points and
// cards with it (hub.MergeWalkIn). The walk-ins of the user's scope are
// listed; the registration is found as the search finds a person.

type walkInsView struct {
	Rows []walkInRow
}

type walkInRow struct {
	MemberNo, Center, Hours, Cards, MergePath string
	Points                                    int64
}

func (p *Page) walkInRow(v hub.PersonView) walkInRow {
	r := walkInRow{MemberNo: v.MemberNo, Center: p.centerName(v), Points: v.Balance.Points,
		Hours:     p.T("people.hours_minutes", v.Balance.Minutes/60, v.Balance.Minutes%60),
		MergePath: "/people/walkins/" + strconv.FormatInt(int64(v.ID), 10)}
	for _, c := range v.Cards {
		if r.Cards != "" {
			r.Cards += " "
		}
		r.Cards += string(c.UID)
	}
	if r.Cards == "" {
		r.Cards = p.T("people.no_card")
	}
	return r
}

// walkIns lists the walk-ins waiting to be merged.
func (w *Web) walkIns(p *Page) error {
	ws, err := p.Hub().WalkIns(p.Ctx(), p.Scope)
	if err != nil {
		return err
	}
	var v walkInsView
	for _, x := range ws {
		v.Rows = append(v.Rows, p.walkInRow(x))
	}
	return p.Render("people_walkins", v)
}

type mergeView struct {
	WalkIn     walkInRow
	Path       string
	Query      string
	Asked      bool
	Candidates []personRow
	More       bool
}

// walkIn is the walk-in of the URL, when the scope sees it waiting.
func walkIn(p *Page) (hub.PersonView, error) {
	id, err := personID(p)
	if err != nil {
		return hub.PersonView{}, err
	}
	ws, err := p.Hub().WalkIns(p.Ctx(), p.Scope)
	if err != nil {
		return hub.PersonView{}, err
	}
	for _, x := range ws {
		if x.ID == id {
			return x, nil
		}
	}
	return hub.PersonView{}, errNotFound
}

// mergeForm shows a walk-in and finds the registration to merge it into.
func (w *Web) mergeForm(p *Page) error {
	x, err := walkIn(p)
	if err != nil {
		return err
	}
	v := mergeView{WalkIn: p.walkInRow(x), Path: p.R.URL.Path, Query: p.R.URL.Query().Get("q")}
	if v.Query != "" {
		v.Asked = true
		found, more, err := p.Hub().SearchPeople(p.Ctx(), p.Scope, v.Query)
		if err != nil {
			return err
		}
		v.More = more
		for _, f := range found {
			if f.Full && !f.Provisional && f.MergedInto == 0 {
				v.Candidates = append(v.Candidates, p.personRow(f))
			}
		}
	}
	return p.Render("people_merge", v)
}

// merge merges the walk-in into the registration chosen.
func (w *Web) merge(p *Page) error {
	x, err := walkIn(p)
	if err != nil {
		return err
	}
	into, err := strconv.ParseInt(p.R.PostFormValue("into"), 10, 64)
	if err != nil || record.PersonID(into) == x.ID {
		return errNotFound
	}
	err = p.Hub().MergeWalkIn(p.Ctx(), p.Scope, p.Actor, x.ID, record.PersonID(into))
	if errors.Is(err, hub.ErrNotWalkIn) || errors.Is(err, hub.ErrMerged) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	return p.Redirect(personPath(record.PersonID(into)) + "?done=merged")
}
