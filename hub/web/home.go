package web

import (
	"github.com/hongmajia/hongmajia/hub"
)

// section is a part of the hub's web: its catalog key (its title; the key
// with "_about" says what it holds), its path, whether it is built, and
// whether it is the district's alone.
type section struct {
	Key      string
	Path     string
	Ready    bool
	District bool
}

// sections are the parts of the web, in the order the home page and the
// navigation list them. A piece that builds one registers its paths in
// routes and sets Ready; until then its path shows "being built".
var sections = []section{
	{Key: "section.people", Path: "/people", Ready: true},
	{Key: "section.service", Path: "/service", Ready: true},
	{Key: "section.points", Path: "/points", Ready: true},
	{Key: "section.dashboard", Path: "/dashboard", Ready: true},
	{Key: "section.audit", Path: "/audit", Ready: true, District: true},
}

// visibleSections are the sections scope may open.
func visibleSections(scope hub.Scope) []section {
	var out []section
	for _, s := range sections {
		if !s.District || scope.District() {
			out = append(out, s)
		}
	}
	return out
}

type homeView struct {
	Welcome  string
	Scope    string
	Sections []sectionView
}

type sectionView struct {
	Title, About, Path string
	Ready              bool
}

// home lists the sections the user may open.
func (w *Web) home(p *Page) error {
	v := homeView{Welcome: p.T("home.welcome", p.User.Name), Scope: p.T("home.scope_district")}
	if !p.Scope.District() {
		cs, err := p.Hub().Centers(p.Ctx())
		if err != nil {
			return err
		}
		name := p.Scope.Center()
		for _, c := range p.Scope.Centers(cs) {
			name = c.Name
		}
		v.Scope = p.T("home.scope_center", name)
	}
	for _, s := range visibleSections(p.Scope) {
		v.Sections = append(v.Sections, sectionView{Title: p.T(s.Key), About: p.T(s.Key + "_about"), Path: s.Path, Ready: s.Ready})
	}
	return p.Render("home", v)
}

type soonView struct{ Body string }

// soon is the page of a section not built yet.
func (w *Web) soon(s section) handler {
	return func(p *Page) error {
		if s.District && !p.Scope.District() {
			return hub.ErrForbidden
		}
		return p.Render("soon", soonView{Body: p.T("soon.body", p.T(s.Key))})
	}
}
