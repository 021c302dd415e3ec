package assets

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// tongyong reads fonts/tongyong-guifan.txt: the 通用规范汉字表 in its order.
func tongyong(t *testing.T) []rune {
	t.Helper()
	file, err := os.Open("fonts/tongyong-guifan.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	var out []rune
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		if line := sc.Text(); !strings.HasPrefix(line, "#") {
			out = append(out, []rune(strings.TrimSpace(line))...)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTongyongGuifanList: the list holds the table's 8105 characters once
// each, its three levels where the standard puts them (3500, 3000 and 1605
// characters: the first is 一, the 3500th 矗, the 6500th 齉, the last 蠼),
// and only CJK ideographs.
func TestTongyongGuifanList(t *testing.T) {
	list := tongyong(t)
	if len(list) != 8105 {
		t.Fatalf("%d characters, want 8105", len(list))
	}
	seen := map[rune]int{}
	for i, r := range list {
		if j, ok := seen[r]; ok {
			t.Errorf("%q is number %d and %d", r, j+1, i+1)
		}
		seen[r] = i
		cjk := r >= 0x3400 && r <= 0x4DBF || r >= 0x4E00 && r <= 0x9FFF || r >= 0x20000 && r <= 0x323AF
		if !cjk {
			t.Errorf("number %d, %q (U+%04X), is not a CJK ideograph", i+1, r, r)
		}
	}
	for n, want := range map[int]rune{1: '一', 3500: '矗', 3501: '乂', 6500: '齉', 6501: '亍', 8105: '蠼'} {
		if got := list[n-1]; got != want {
			t.Errorf("number %d is %q, want %q", n, got, want)
		}
	}
}

// TestFontsCoverTongyongGuifan: both embedded weights have every character
// of the 通用规范汉字表, the standard list of characters in use (names
// included), so a name written in it never needs a system font.
func TestFontsCoverTongyongGuifan(t *testing.T) {
	list := tongyong(t)
	for name, data := range map[string][]byte{"Regular": FontRegular(), "Bold": FontBold()} {
		f := loadFont(t, data)
		missing := 0
		for _, r := range list {
			if _, ok := f.Cmap.Lookup(r); !ok {
				if missing++; missing <= 10 {
					t.Errorf("%s font lacks %q (U+%04X) of the 通用规范汉字表: rerun assets/fonts/subset.sh", name, r, r)
				}
			}
		}
		if missing > 10 {
			t.Errorf("%s font lacks %d characters of the 通用规范汉字表", name, missing)
		}
	}
}

// TestFontExtA13: the Unifont subset has the ten characters Unicode 13
// added to CJK Extension A (U+4DB6–U+4DBF), which Noto Sans CJK lacks, and
// nothing else to speak of; its licence notice is shipped.
func TestFontExtA13(t *testing.T) {
	f := loadFont(t, FontExtA13())
	for r := rune(0x4DB6); r <= 0x4DBF; r++ {
		if _, ok := f.Cmap.Lookup(r); !ok {
			t.Errorf("Unifont subset lacks U+%04X", r)
		}
	}
	if _, ok := f.Cmap.Lookup(0x4DB5); ok {
		t.Error("Unifont subset has U+4DB5: the subset is wider than the ten characters Noto lacks")
	}
	if len(FontExtA13()) > 16<<10 {
		t.Errorf("Unifont subset is %d bytes: not the ten-glyph subset", len(FontExtA13()))
	}
	for _, s := range []string{"GNU Unifont", "SIL Open Font License"} {
		if !strings.Contains(FontLicence(), s) {
			t.Errorf("fonts/OFL.txt lacks %q", s)
		}
	}
}
