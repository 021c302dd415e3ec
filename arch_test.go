package hongmajia_test

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The rules of ARCHITECTURE.md ("Rules"), checked on what the go tool says
// each package and each binary links.

const module = "github.com/hongmajia/hongmajia"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Standard   bool
}

var (
	listOnce sync.Once
	listed   map[string]pkg
	listErr  string
)

// packages is every package of the module and everything they link, by
// import path (one `go list -deps` for the whole test binary).
func packages(t *testing.T) map[string]pkg {
	t.Helper()
	listOnce.Do(func() {
		cmd := exec.Command("go", "list", "-e", "-deps", "-json=ImportPath,Imports,Deps,Standard", "./...")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			listErr = "go list: " + err.Error() + "\n" + stderr.String()
			return
		}
		listed = map[string]pkg{}
		dec := json.NewDecoder(bytes.NewReader(out))
		for dec.More() {
			var p pkg
			if err := dec.Decode(&p); err != nil {
				listErr = "decode go list output: " + err.Error()
				return
			}
			listed[p.ImportPath] = p
		}
	})
	if listErr != "" {
		t.Fatal(listErr)
	}
	return listed
}

// in reports whether path is the project's dir or below it.
func in(path, dir string) bool {
	p := module + "/" + dir
	return path == p || strings.HasPrefix(path, p+"/")
}

func ours(path string) bool     { return path == module || strings.HasPrefix(path, module+"/") }
func isEbiten(path string) bool { return strings.HasPrefix(path, "github.com/hajimehoshi/ebiten") }
func isPeriph(path string) bool { return strings.HasPrefix(path, "periph.io/") }
func isSQLite(path string) bool { return strings.HasPrefix(path, "modernc.org/") }

// rule is one line of the import rules: a package (and the packages below
// it) must not link what bad says it must not.
type rule struct {
	pkg func(path string) bool
	bad func(dep string, all map[string]pkg) bool
	why string
}

func below(dir string) func(string) bool { return func(p string) bool { return in(p, dir) } }
func exactly(dir string) func(string) bool {
	return func(p string) bool { return p == module+"/"+dir }
}

var rules = []rule{
	{below("record"), func(d string, all map[string]pkg) bool { return !all[d].Standard && !in(d, "record") },
		"the entry record imports only the standard library: the hub and every kiosk version decode it"},
	{below("clock"), func(d string, _ map[string]pkg) bool { return ours(d) && !in(d, "clock") },
		"the clock imports nothing of the project"},
	{below("hubsync"), func(d string, all map[string]pkg) bool {
		return !all[d].Standard && !in(d, "hubsync") && !in(d, "record") && !in(d, "clock") && !linkedBy(all, "clock", d)
	}, "the sync protocol is shared by the kiosk and the hub: the record, the clock (and what it links) and the standard library, nothing of either side"},
	{below("roster"), func(d string, _ map[string]pkg) bool {
		return (ours(d) && !in(d, "roster") && !in(d, "record")) || isSQLite(d) || isEbiten(d) || isPeriph(d)
	}, "the roster reader is shared with the hub: it reads files into record types and never touches the kiosk's ledger"},
	{below("ledger"), func(d string, _ map[string]pkg) bool {
		return isEbiten(d) || isPeriph(d) || in(d, "kiosk") || in(d, "drivers") || in(d, "cmd")
	}, "the ledger knows nothing of the terminal, the readers or the screen"},
	{below("drivers"), func(d string, _ map[string]pkg) bool {
		return in(d, "ledger") || in(d, "record") || in(d, "kiosk") || in(d, "cmd") || isEbiten(d) || isSQLite(d)
	}, "drivers know nothing of the ledger, the terminal or the screen"},
	{below("kiosk/control"), func(d string, _ map[string]pkg) bool {
		return (ours(d) && !in(d, "kiosk/control") && !in(d, "clock")) || isEbiten(d) || isPeriph(d) || isSQLite(d)
	}, "the control protocol is imported by kioskctl and the update check without the terminal"},
	{below("kiosk/xsession"), func(d string, _ map[string]pkg) bool {
		return (ours(d) && !in(d, "kiosk/xsession") && !in(d, "clock")) || isEbiten(d) || isSQLite(d)
	}, "the X session starts X and the kiosk as processes: it links nothing of the terminal"},
	{exactly("kiosk"), func(d string, _ map[string]pkg) bool {
		return isEbiten(d) || in(d, "kiosk/app") || in(d, "kiosk/hublink")
	}, "the terminal's flows draw nothing, know no wiring and never wait on the network"},
	{below("kiosk/hublink"), func(d string, _ map[string]pkg) bool {
		return isEbiten(d) || isPeriph(d) || in(d, "drivers") || in(d, "hub") || d == module+"/kiosk" || in(d, "kiosk/app") || in(d, "kiosk/ui")
	}, "the kiosk's side of the sync links the ledger and the protocol: never the hub's code, the terminal, the readers or the screen"},
	{below("kiosk/app"), func(d string, _ map[string]pkg) bool { return isEbiten(d) },
		"ebiten opens the display when it is initialised; the headless station must run without one"},
	{below("kiosk/ui"), func(d string, _ map[string]pkg) bool { return strings.HasPrefix(d, "periph.io/x/host") },
		"the screens draw; the hardware is opened by kiosk/app"},
	{exactly("cmd/kiosk"), func(d string, _ map[string]pkg) bool {
		return isEbiten(d) || d == "testing" || in(d, "ledger/demo") || in(d, "ledger/ledgertest")
	}, "the terminal binary runs headless without a display, and ships no demo generator or test code"},
	{exactly("cmd/kiosk-screen"), func(d string, all map[string]pkg) bool {
		return in(d, "ledger/demo") || in(d, "ledger/ledgertest") || (ours(d) && imports(all[d], "testing"))
	}, "the screen binary ships no demo generator or test code (ebiten's X11 binding, github.com/jezek/xgb, links testing upstream; nothing of ours may)"},
	{below("hub"), func(d string, _ map[string]pkg) bool {
		return in(d, "ledger") || in(d, "kiosk") || in(d, "drivers") || in(d, "cmd") || isEbiten(d) || isPeriph(d)
	}, "the hub decodes and checks kiosks' entries from the record alone: never the kiosk's ledger, the terminal, the readers or the screen"},
	{below("hub/web"), func(d string, _ map[string]pkg) bool {
		return in(d, "ledger") || in(d, "kiosk") || in(d, "drivers") || in(d, "cmd") || isEbiten(d) || isPeriph(d) ||
			in(d, "hub/sqlitestore") || in(d, "hub/pgstore") || strings.HasPrefix(d, "github.com/jackc/") || in(d, "hub/hubtest") ||
			in(d, "hub/storetest") || d == "testing" || strings.HasPrefix(d, "github.com/chromedp/")
	}, "the hub's web links no kiosk code, reads and writes through hub.Hub (never a store: SQLite's or PostgreSQL's) and ships no test code or browser driver"},
	{below("hub/pgstore"), func(d string, all map[string]pkg) bool {
		return (ours(d) && !in(d, "hub/pgstore") && d != module+"/hub" && !linkedBy(all, "hub", d)) || isSQLite(d)
	}, "the PostgreSQL store implements hub.Store with the hub's types (hub, record) and pgx: no other store, nothing of the hub's server or web"},
	{exactly("cmd/hubd"), func(d string, _ map[string]pkg) bool {
		return in(d, "ledger") || in(d, "kiosk") || in(d, "drivers") || isEbiten(d) || isPeriph(d) ||
			d == "testing" || in(d, "hub/hubtest") || in(d, "hub/storetest") || strings.HasPrefix(d, "github.com/chromedp/")
	}, "the hub's binary links no kiosk code, and ships no test code"},
	{below("kiosk/update"), func(d string, _ map[string]pkg) bool {
		return isEbiten(d) || isPeriph(d) || in(d, "drivers") || in(d, "hub") || d == module+"/kiosk" || in(d, "kiosk/app") ||
			in(d, "kiosk/ui") || in(d, "kiosk/hublink")
	}, "the updater replaces the terminal's binaries and asks the new one's health through kiosk/control: it links none of the terminal, the readers or the screen"},
	{exactly("cmd/kioskctl"), func(d string, _ map[string]pkg) bool {
		return isEbiten(d) || d == module+"/kiosk" || in(d, "kiosk/app") || in(d, "kiosk/ui")
	}, "kioskctl runs over SSH without a display, and talks to a running terminal through kiosk/control only"},
	{below("cmd"), func(d string, _ map[string]pkg) bool {
		return in(d, "internal/debpkg") || strings.HasPrefix(d, "github.com/goreleaser/")
	}, "the packages are built by make deb (internal/debpkg/mkdeb); no shipped binary links the packager"},
	{below("cmd"), func(d string, _ map[string]pkg) bool { return in(d, "internal/pgtest") },
		"internal/pgtest starts a PostgreSQL server for tests; no shipped binary links it"},
	{below("internal/pgtest"), func(d string, _ map[string]pkg) bool { return ours(d) && !in(d, "internal/pgtest") },
		"the tests' PostgreSQL server imports nothing of ours: every store's tests may use it"},
}

// linkedBy reports whether our package dir links dep.
func linkedBy(all map[string]pkg, dir, dep string) bool {
	for _, d := range all[module+"/"+dir].Deps {
		if d == dep {
			return true
		}
	}
	return false
}

func imports(p pkg, path string) bool {
	for _, imp := range p.Imports {
		if imp == path {
			return true
		}
	}
	return false
}

func TestImportRules(t *testing.T) {
	all := packages(t)
	for path, p := range all {
		if !ours(path) {
			continue
		}
		for _, r := range rules {
			if !r.pkg(path) {
				continue
			}
			for _, d := range p.Deps {
				if r.bad(d, all) {
					t.Errorf("%s links %s: %s", path, d, r.why)
				}
			}
		}
		for _, imp := range p.Imports {
			if isEbiten(imp) && !in(path, "kiosk/ui") {
				t.Errorf("%s imports %s: only kiosk/ui imports ebiten", path, imp)
			}
			// The ledger links the protocol's HTTP client, so this is a rule
			// on what the core itself imports: it asks the App's sync
			// through kiosk.Syncer and never waits on the network.
			if path == module+"/kiosk" && imp == "net/http" {
				t.Errorf("%s imports %s: the terminal's flows never talk to the hub themselves (kiosk.Syncer)", path, imp)
			}
		}
	}
}

// TestRulesSeeEveryBinary keeps the rules honest: a binary renamed or
// moved would otherwise pass by matching nothing.
func TestRulesSeeEveryBinary(t *testing.T) {
	all := packages(t)
	for _, b := range []string{"cmd/kiosk", "cmd/kiosk-screen", "cmd/kioskctl", "cmd/hubd", "record", "clock", "hubsync", "roster", "ledger", "kiosk", "kiosk/app", "kiosk/ui", "kiosk/control", "kiosk/xsession", "kiosk/hublink", "kiosk/update", "hub", "hub/sqlitestore", "hub/pgstore", "hub/server", "hub/web", "internal/debpkg", "internal/pgtest"} {
		if _, ok := all[module+"/"+b]; !ok {
			t.Errorf("no package %s: update the rules in arch_test.go and ARCHITECTURE.md", b)
		}
	}
}

// TestNoTimeNowOutsideClock: all time is read through the injected clock
// (package clock); no time.Now, time.Since or time.Until in non-test code
// anywhere else.
func TestNoTimeNowOutsideClock(t *testing.T) {
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	clockDir := filepath.Join(root, "clock")
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path == clockDir || (path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bin")) {
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
				t.Errorf("%s:%d: time.%s outside package clock; take a clock.Clock instead", rel, fset.Position(sel.Pos()).Line, sel.Sel.Name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
