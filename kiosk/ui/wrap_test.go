package ui

import (
	"reflect"
	"testing"
)

// fakeMeasure: wide characters are 10 px, others 5 px, at any size.
func fakeMeasure(s string) float64 {
	w := 0.0
	for _, r := range s {
		if isWide(r) {
			w += 10
		} else {
			w += 5
		}
	}
	return w
}

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		max  float64
		want []string
	}{
		{"fits", "请刷卡", 100, []string{"请刷卡"}},
		{"chinese breaks anywhere", "请到服务台登记表", 30, []string{"请到服", "务台登", "记表"}},
		// No character alone on the last line: one more comes down with it.
		{"no lone character", "请到服务台登记", 30, []string{"请到服", "务台", "登记"}},
		{"no lone character with its full stop", "今天服务完成了。", 30, []string{"今天服", "务完", "成了。"}},
		{"no lone character after a number", "还差 120 分", 40, []string{"还差", "120 分"}},
		{"a lone character stays when moving would strand another", "请稍候。", 30, []string{"请稍", "候。"}},
		{"comma stays with the character before", "余额不足，请到服务台", 40, []string{"余额不", "足，请到", "服务台"}},
		{"opening bracket stays with the next", "活动（上午）", 30, []string{"活动", "（上", "午）"}},
		{"latin words break at spaces", "Please tap your card", 60, []string{"Please tap", "your card"}},
		{"long latin word is cut", "abcdefghij", 20, []string{"abcd", "efgh", "ij"}},
		{"mixed", "获得 120 积分", 50, []string{"获得 120", "积分"}},
		{"newline forces a break", "取货码\n1234", 100, []string{"取货码", "1234"}},
		{"empty", "", 100, []string{""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Wrap(tc.text, tc.max, fakeMeasure)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Wrap(%q, %v) = %q, want %q", tc.text, tc.max, got, tc.want)
			}
			for _, l := range got {
				if fakeMeasure(l) > tc.max && len([]rune(l)) > 1 {
					t.Errorf("line %q is %v px, wider than %v", l, fakeMeasure(l), tc.max)
				}
			}
		})
	}
}

func TestLonely(t *testing.T) {
	for s, want := range map[string]bool{"记": true, "了。": true, "。": true, " 记 ": true, "登记": false, "120 分": false, "1": false, "": false, "A": false} {
		if got := Lonely(s); got != want {
			t.Errorf("Lonely(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestParagraphLeavesNoCharacterAlone: where moving a character down cannot
// help, the paragraph's text shrinks until no line holds one alone.
func TestParagraphLeavesNoCharacterAlone(t *testing.T) {
	l := NewLayout(1024, 600, DefaultLayoutOpts)
	b := NewBuilder(l, ChineseStrings(), fakeFonts{}, testNow)
	size := l.Title()
	// Three characters and a full stop, in a box a little under three
	// characters wide: 请稍 / 候。 at this size, and moving 稍 down would
	// leave 请 alone.
	w := fakeFonts{}.Advance("请稍候", size, false) - 1
	b.Paragraph(Rect{0, 0, w, 400}, "请稍候。", TextStyle{Size: size})
	var lines []string
	for _, it := range b.Frame().Items {
		if it.Kind == TextItem {
			lines = append(lines, it.Text)
			if it.Style.Size >= size {
				t.Errorf("%q kept its size %.0f", it.Text, it.Style.Size)
			}
		}
	}
	if len(lines) == 0 || len(lines) > 1 && Lonely(lines[len(lines)-1]) {
		t.Fatalf("lines %q", lines)
	}
}
