package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/hongmajia/hongmajia/assets"
	"github.com/hongmajia/hongmajia/hub"
)

// TestTemplatesHoldNoWordsOfTheirOwn: every word on a page comes from the
// catalog (assets/strings/web.tsv), so no template holds Chinese.
func TestTemplatesHoldNoWordsOfTheirOwn(t *testing.T) {
	err := fs.WalkDir(templatesFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templatesFS.ReadFile(p)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.IndexFunc(line, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0 {
				t.Errorf("%s:%d holds Chinese: take it from the catalog ({{t \"key\"}})\n%s", p, i+1, line)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCatalogKeysAreUsed: every key of the web's catalog is used by a
// template ({{t "key"}}), a Go file of this package (a string literal), a
// section (its key and its key with "_about") or an audit action or
// detail of the hub ("audit.action."+action, "audit.detail."+detail); and
// every key used is in the catalog.
func TestCatalogKeysAreUsed(t *testing.T) {
	c := assets.Web()
	used := map[string]string{} // key: where
	tmplKey := regexp.MustCompile(`\bt "([^"]+)"`)
	err := fs.WalkDir(templatesFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templatesFS.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range tmplKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = p
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	prefixes := map[string]bool{}
	for _, k := range c.Keys() {
		prefixes[k[:strings.IndexByte(k, '.')]] = true
	}
	keyLike := regexp.MustCompile(`^([a-z]+)\.[a-z_.-]+$`)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, f, src, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			// A literal ending in a dot is a key's prefix (audit.action.).
			if m := keyLike.FindStringSubmatch(s); m != nil && prefixes[m[1]] && !strings.HasSuffix(s, ".") {
				used[s] = fset.Position(lit.Pos()).String()
			}
			return true
		})
	}
	for _, s := range sections {
		used[s.Key] = "sections"
		used[s.Key+"_about"] = "sections"
	}
	for _, a := range hub.AuditActions() {
		used["audit.action."+string(a)] = "hub.AuditActions"
	}
	for _, d := range append(hub.AuditDetails(), string(hub.RoleDistrict), string(hub.RoleCenter)) {
		used["audit.detail."+d] = "hub.AuditDetails"
	}
	for k, where := range used {
		if !c.Has(k) {
			t.Errorf("%s: key %q is not in assets/strings/web.tsv", where, k)
		}
	}
	for _, k := range c.Keys() {
		if _, ok := used[k]; !ok {
			t.Errorf("key %s is in assets/strings/web.tsv but nothing under hub/web uses it", k)
		}
	}
}

// TestPagesTakeTheirScopeFromTheUser: no code of the web makes a scope of
// its own (hub.DistrictScope, hub.CenterScope, hub.Scope{}): every page
// passes its user's, Page.Scope, so none can widen it.
func TestPagesTakeTheirScopeFromTheUser(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			var sel *ast.SelectorExpr
			made := map[string]bool{"DistrictScope": true, "CenterScope": true}
			switch x := n.(type) {
			case *ast.SelectorExpr:
				sel = x
			case *ast.CompositeLit:
				// hub.Scope{}: the type alone is fine as a parameter's.
				if s, ok := x.Type.(*ast.SelectorExpr); ok {
					sel, made = s, map[string]bool{"Scope": true}
				}
			}
			if sel == nil {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "hub" && made[sel.Sel.Name] {
				t.Errorf("%s: hub.%s: a page takes its user's scope (Page.Scope), never one of its own", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
}
