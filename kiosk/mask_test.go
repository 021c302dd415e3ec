package kiosk

import "testing"

func TestMaskName(t *testing.T) {
	for in, want := range map[string]string{
		"张三明": "张*明", "王堃": "王*", "欧阳娜娜": "欧**娜", "李": "李", "": "",
		" 周玥 ": "周*", "买买提·艾力": "买****力", "John Smith": "J*** S****",
	} {
		if got := MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
}
