package roster

import (
	"reflect"
	"testing"
	"time"
)

func TestClockTime(t *testing.T) {
	for in, want := range map[string]string{
		"8:30": "08:30", "08:30": "08:30", "8:30:00": "08:30", "８：３０": "08:30", "8点30": "08:30", "8点": "08:00",
		"19点30分": "19:30", "7:05 PM": "19:05", "0.375": "09:00", "0.5": "12:00", "0.999999": "00:00",
	} {
		if got, err := clockTime(in); err != nil || got != want {
			t.Errorf("clockTime(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"25:00", "8.30.1", "1.5", "早上", "830"} {
		if got, err := clockTime(in); err == nil {
			t.Errorf("clockTime(%q) = %q, want an error", in, got)
		}
	}
}

func TestWeekdays(t *testing.T) {
	mon, tue, wed, thu, fri, sat, sun := time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday
	for in, want := range map[string][]time.Weekday{
		"": nil, "每天": nil, "一至日": nil, "1-7": nil,
		"一,三,五": {mon, wed, fri}, "周一、周三": {mon, wed}, "星期二，星期四": {tue, thu}, "一至五": {mon, tue, wed, thu, fri},
		"周六到周日": {sat, sun}, "1,3,5": {mon, wed, fri}, "7": {sun}, "工作日": {mon, tue, wed, thu, fri}, "周末": {sat, sun},
		"五,一,五": {fri, mon}, "礼拜天": {sun},
	} {
		if got, err := weekdays(in); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("weekdays(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"八", "五至一", "周", "一,,x", "Monday"} {
		if got, err := weekdays(in); err == nil {
			t.Errorf("weekdays(%q) = %v, want an error", in, got)
		}
	}
}

func TestPhone(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "13910230001": "13910230001", "139 1023 0001": "13910230001", "+86 139-1023-0001": "13910230001",
		"8613910230001": "13910230001", "010-64210007": "01064210007", "(0571)12345678": "057112345678",
		"1.39102E+10": "13910200000", "１３９１０２３０００１": "13910230001",
	} {
		if got, err := phone(in); err != nil || got != want {
			t.Errorf("phone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"1381234", "23910230001", "139102300011", "电话139", "64210007"} {
		if got, err := phone(in); err == nil {
			t.Errorf("phone(%q) = %q, want an error", in, got)
		}
	}
}

func TestWholeAndYesNo(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "120": 120, "120.0": 120, "１２": 12, " 7 ": 7} {
		if got, err := whole(in); err != nil || got != want {
			t.Errorf("whole(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"1.5", "-3", "十", "1e3x"} {
		if _, err := whole(in); err == nil {
			t.Errorf("whole(%q): no error", in)
		}
	}
	for in, want := range map[string]bool{"": false, "否": false, "N": false, "是": true, "Y": true, "√": true, "１": true} {
		if got, err := yesNo(in); err != nil || got != want {
			t.Errorf("yesNo(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := yesNo("也许"); err == nil {
		t.Error("yesNo(也许): no error")
	}
}
