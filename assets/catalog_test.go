package assets

import (
	"bytes"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/font/opentype"
)

// catalogs are the kiosk's and the hub's web's, by file.
func catalogs() map[string]*Catalog {
	return map[string]*Catalog{"catalog.tsv": Strings(), "web.tsv": Web()}
}

func TestCatalogEveryKeyHasChineseAndEnglish(t *testing.T) {
	for file, c := range catalogs() {
		if len(c.Keys()) < 50 {
			t.Fatalf("%s has %d keys; the embedded file looks truncated", file, len(c.Keys()))
		}
		for _, k := range c.Keys() {
			zh, en := c.Text(Chinese, k), c.Text(English, k)
			// A separator (cert.list_sep: 、) is Chinese by its CJK
			// punctuation alone.
			if !containsHan(zh) && !isCJKPunct(zh) {
				t.Errorf("%s: %s: Chinese text %q has no Chinese characters", file, k, zh)
			}
			if en == zh {
				t.Errorf("%s: %s: English text is the Chinese text", file, k)
			}
		}
	}
}

// isCJKPunct reports whether s is only CJK symbols and punctuation.
func isCJKPunct(s string) bool {
	for _, r := range s {
		if r < 0x3000 || r > 0x303F {
			return false
		}
	}
	return s != ""
}

func containsHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

var verb = regexp.MustCompile(`%(\[\d+\])?[+#0 -]*\d*(\.\d+)?[a-z]`)

// TestCatalogVerbsAgree: a translation that drops or adds an argument would
// print %!d(MISSING) or %!(EXTRA) on screen.
func TestCatalogVerbsAgree(t *testing.T) {
	for file, c := range catalogs() {
		for _, k := range c.Keys() {
			zh := verbCounts(c.Text(Chinese, k))
			en := verbCounts(c.Text(English, k))
			if zh != en {
				t.Errorf("%s: %s: zh verbs %q, en verbs %q", file, k, zh, en)
			}
		}
	}
}

// verbCounts is the sorted multiset of verb letters, ignoring argument
// indexes so that a language may reorder arguments.
func verbCounts(s string) string {
	var letters []byte
	for _, m := range verb.FindAllString(s, -1) {
		letters = append(letters, m[len(m)-1])
	}
	for i := 1; i < len(letters); i++ {
		for j := i; j > 0 && letters[j] < letters[j-1]; j-- {
			letters[j], letters[j-1] = letters[j-1], letters[j]
		}
	}
	return string(letters)
}

func TestParseCatalogRefusesBadLines(t *testing.T) {
	for name, src := range map[string]string{
		"two fields":    "idle.prompt\t请刷卡\n",
		"no chinese":    "idle.prompt\t \tPlease tap\n",
		"no english":    "idle.prompt\t请刷卡\t\n",
		"duplicate key": "a.b\t一\tone\na.b\t二\ttwo\n",
		"spaced key":    " a.b\t一\tone\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseCatalog(src); !errors.Is(err, ErrCatalog) {
				t.Fatalf("ParseCatalog(%q) = %v, want ErrCatalog", src, err)
			}
		})
	}
	c, err := ParseCatalog("# comment\n\nx.y\t你好 %d\thello %d\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Format(Chinese, "x.y", 3); got != "你好 3" {
		t.Errorf("Format zh = %q", got)
	}
	if got := c.Format(English, "x.y", 3); got != "hello 3" {
		t.Errorf("Format en = %q", got)
	}
	if got := c.Text(Chinese, "missing.key"); got != "[missing.key]" {
		t.Errorf("missing key = %q, want it visible in brackets", got)
	}
}

// TestCatalogKeysUsedUnderKiosk reads every non-test Go file under kiosk/
// and this package's own (keys shared with kioskctl, KeyProvisional): each
// catalog key must appear there as a string literal (no dead strings), and
// each literal that looks like a key of a catalog section must exist.
func TestCatalogKeysUsedUnderKiosk(t *testing.T) {
	c := Strings()
	sections := map[string]bool{}
	for _, k := range c.Keys() {
		sections[k[:strings.IndexByte(k, '.')]] = true
	}
	keyLike := regexp.MustCompile(`^([a-z]+)\.[a-z_]+$`)
	used := map[string]bool{}
	fset := token.NewFileSet()
	root := filepath.Join("..", "kiosk")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == root {
			// This package's own files first.
			own, err := filepath.Glob("*.go")
			if err != nil {
				return err
			}
			for _, f := range own {
				if !strings.HasSuffix(f, "_test.go") {
					scanKeys(t, fset, f, c, sections, keyLike, used)
				}
			}
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		scanKeys(t, fset, path, c, sections, keyLike, used)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range c.Keys() {
		if !used[k] {
			t.Errorf("key %s is in the catalog but no Go file under kiosk/ uses it", k)
		}
	}
}

// scanKeys notes the catalog keys path names as string literals.
func scanKeys(t *testing.T, fset *token.FileSet, path string, c *Catalog, sections map[string]bool, keyLike *regexp.Regexp, used map[string]bool) {
	t.Helper()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			return true
		}
		m := keyLike.FindStringSubmatch(s)
		if m == nil || !sections[m[1]] {
			return true
		}
		used[s] = true
		if !c.Has(s) {
			t.Errorf("%s: key %q is not in strings/catalog.tsv", fset.Position(lit.Pos()), s)
		}
		return true
	})
}

func loadFont(t *testing.T, data []byte) *font.Font {
	t.Helper()
	ld, err := opentype.NewLoader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("load font: %v", err)
	}
	f, err := font.NewFont(ld)
	if err != nil {
		t.Fatalf("parse font: %v", err)
	}
	return f
}

// TestFontsCoverCatalogAndNames: every character of the catalogs (the
// kiosk's and the web's, whose pages serve the same fonts) and of the
// names the issue names is in both embedded weights, so none of them needs
// the system fallback.
func TestFontsCoverCatalogAndNames(t *testing.T) {
	var want []rune
	seen := map[rune]bool{}
	add := func(s string) {
		for _, r := range s {
			if !seen[r] && !unicode.IsSpace(r) {
				seen[r] = true
				want = append(want, r)
			}
		}
	}
	add("王堃李喆陈赟周玥珺燊昇张明0123456789:：")
	for _, c := range catalogs() {
		for _, k := range c.Keys() {
			add(c.Text(Chinese, k))
			add(c.Text(English, k))
		}
	}
	for name, data := range map[string][]byte{"Regular": FontRegular(), "Bold": FontBold()} {
		f := loadFont(t, data)
		for _, r := range want {
			if _, ok := f.Cmap.Lookup(r); !ok {
				t.Errorf("%s font lacks %q (U+%04X): rerun assets/fonts/subset.sh", name, r, r)
			}
		}
		// A character deliberately outside the subset proves the subset is
		// one (and that the fallback has something to do).
		if _, ok := f.Cmap.Lookup('𠀀'); ok {
			t.Errorf("%s font has U+20000: is it the full font rather than the subset?", name)
		}
	}
}

func TestFontLicenceShipped(t *testing.T) {
	l := FontLicence()
	for _, s := range []string{"SIL OPEN FONT LICENSE Version 1.1", "Adobe", "Noto Sans CJK SC"} {
		if !strings.Contains(l, s) {
			t.Errorf("fonts/OFL.txt lacks %q", s)
		}
	}
}
