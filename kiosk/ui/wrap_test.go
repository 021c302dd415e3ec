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
		{"chinese breaks anywhere", "请到服务台登记", 30, []string{"请到服", "务台登", "记"}},
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
