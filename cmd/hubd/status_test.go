package main

import (
	"strings"
	"testing"
)

// TestUpdateState: the outcome column says what became of the offered
// bundle once, in a clerk's words: a bundle a kiosk refused was never
// installed, so it is not "rolled back"; the reason is not repeated.
func TestUpdateState(t *testing.T) {
	cases := []struct {
		name string
		k    kioskReport
		want string
		not  []string
	}{
		{"none", kioskReport{Version: "1.4.1"}, "", nil},
		{"offered", kioskReport{Version: "1.4.1", Offered: "1.4.2"}, "待更新 offered 1.4.2", nil},
		{"installed", kioskReport{Version: "1.4.2", Offered: "1.4.2", Update: &updateReport{Version: "1.4.2", OK: true}},
			"已更新 installed 1.4.2", nil},
		{"rolled back", kioskReport{Version: "1.4.1", Offered: "1.4.2", Update: &updateReport{Version: "1.4.2",
			Error: "update to 1.4.2 failed: not healthy within 2m0s: it never answered on /var/lib/hongmajia/control.sock; rolled back to 1.4.1"}},
			"未安装 not installed 1.4.2: not healthy within 2m0s: it never answered on /var/lib/hongmajia/control.sock; rolled back to 1.4.1",
			[]string{"failed", "已回退"}},
		{"refused", kioskReport{Version: "1.4.1", Offered: "1.4.2", Update: &updateReport{Version: "1.4.2",
			Error: "update: bundle /var/lib/hongmajia/versions/.offered-ab.bundle: bundle is signed by a key this kiosk does not trust (signed by key 8fcd99d86d90f159; trusted: 95e3bac43282398c); nothing changed"}},
			"未安装 not installed 1.4.2: bundle is signed by a key this kiosk does not trust (signed by key 8fcd99d86d90f159; trusted: 95e3bac43282398c); nothing changed",
			[]string{"rolled back", ".offered-"}},
	}
	for _, c := range cases {
		got := updateState(c.k)
		if got != c.want {
			t.Errorf("%s: %q\nwant %q", c.name, got, c.want)
		}
		for _, n := range c.not {
			if strings.Contains(got, n) {
				t.Errorf("%s: %q says %q", c.name, got, n)
			}
		}
	}
}
