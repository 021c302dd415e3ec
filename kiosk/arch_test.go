package kiosk_test

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/hongmajia/hongmajia"

type listedPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// moduleRoot is the directory holding go.mod, two levels above this package.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", root, err)
	}
	return root
}

func listPackages(t *testing.T) []listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,Deps", "./...")
	cmd.Dir = moduleRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	return pkgs
}

func under(path, dir string) bool {
	p := module + "/" + dir
	return path == p || strings.HasPrefix(path, p+"/")
}

func isEbiten(path string) bool {
	return strings.HasPrefix(path, "github.com/hajimehoshi/ebiten")
}

func isPeriph(path string) bool { return strings.HasPrefix(path, "periph.io/") }

// TestImportDirection enforces DESIGN.md: cmd → kiosk → {ledger, drivers};
// ledger never imports ebiten or periph; drivers never import ledger; only the
// screens package imports ebiten.
func TestImportDirection(t *testing.T) {
	for _, p := range listPackages(t) {
		for _, d := range p.Deps {
			switch {
			case under(p.ImportPath, "ledger") && (isEbiten(d) || isPeriph(d)):
				t.Errorf("%s depends on %s: the ledger must not reach ebiten or periph", p.ImportPath, d)
			case under(p.ImportPath, "ledger") && (under(d, "kiosk") || under(d, "drivers") || under(d, "cmd")):
				t.Errorf("%s depends on %s: the ledger imports nothing of the terminal", p.ImportPath, d)
			case under(p.ImportPath, "drivers") && (under(d, "ledger") || under(d, "kiosk") || under(d, "cmd")):
				t.Errorf("%s depends on %s: drivers must not import the ledger or the terminal", p.ImportPath, d)
			case under(p.ImportPath, "drivers") && isEbiten(d):
				t.Errorf("%s depends on %s: drivers must not reach ebiten", p.ImportPath, d)
			case under(p.ImportPath, "cmd/kioskctl") && isEbiten(d):
				t.Errorf("%s depends on %s: kioskctl runs over SSH without a display", p.ImportPath, d)
			case (under(p.ImportPath, "cmd/kiosk") || p.ImportPath == module+"/kiosk" || p.ImportPath == module+"/kiosk/app") && isEbiten(d):
				t.Errorf("%s depends on %s: ebiten opens the display when it is initialised, and kiosk must run headless and say when there is no display", p.ImportPath, d)
			}
		}
		for _, imp := range p.Imports {
			if isEbiten(imp) && !under(p.ImportPath, "kiosk/ui") {
				t.Errorf("%s imports %s: only kiosk/ui may import ebiten", p.ImportPath, imp)
			}
		}
	}
}

// TestNoTimeNowOutsideClock enforces that all time is read through the
// injected clock (clock): no time.Now, time.Since or time.Until in
// non-test code anywhere else.
func TestNoTimeNowOutsideClock(t *testing.T) {
	root := moduleRoot(t)
	clockDir := filepath.Join(root, "clock")
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path == clockDir || (path != root && (strings.HasPrefix(name, ".") || name == "testdata")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		local := ""
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "time" {
				local = "time"
				if imp.Name != nil {
					local = imp.Name.Name
				}
			}
		}
		if local == "" {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			id, ok := sel.X.(*ast.Ident)
			if ok && id.Name == local && (sel.Sel.Name == "Now" || sel.Sel.Name == "Since" || sel.Sel.Name == "Until") {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s:%d: time.%s outside clock; take a clock.Clock instead", rel, fset.Position(sel.Pos()).Line, sel.Sel.Name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
