package record_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/record"
)

func TestPolicyValidate(t *testing.T) {
	for _, p := range []record.Policy{{OfflineCapPoints: -1}, {MaxSyncAge: -time.Second}, {PointsExpireMonths: -1}} {
		if err := p.Validate(); !errors.Is(err, record.ErrInvalid) {
			t.Errorf("Validate(%+v) = %v, want ErrInvalid", p, err)
		}
	}
	for _, p := range []record.Policy{{}, record.DefaultPolicy, {OfflineCapPoints: 1, MaxSyncAge: time.Hour, PointsExpireMonths: 12}} {
		if err := p.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", p, err)
		}
	}
}

func TestPolicySyncTooOld(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	week := record.Policy{MaxSyncAge: 7 * 24 * time.Hour}
	for _, tc := range []struct {
		name     string
		p        record.Policy
		enrolled bool
		last     time.Time
		want     bool
	}{
		{"not enrolled, never synced", week, false, time.Time{}, false},
		{"enrolled, never synced", week, true, time.Time{}, true},
		{"synced yesterday", week, true, now.AddDate(0, 0, -1), false},
		{"synced exactly a week ago", week, true, now.Add(-7 * 24 * time.Hour), false},
		{"synced a week and a second ago", week, true, now.Add(-7*24*time.Hour - time.Second), true},
		{"no limit", record.Policy{}, true, time.Time{}, false},
	} {
		if got := tc.p.SyncTooOld(tc.enrolled, tc.last, now); got != tc.want {
			t.Errorf("%s: SyncTooOld = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestPolicyOverOfflineCap(t *testing.T) {
	p := record.Policy{OfflineCapPoints: 100}
	for _, tc := range []struct {
		spent, cost int64
		want        bool
	}{{0, 100, false}, {60, 40, false}, {60, 41, true}, {101, 0, true}} {
		if got := p.OverOfflineCap(tc.spent, tc.cost); got != tc.want {
			t.Errorf("OverOfflineCap(%d, %d) = %v, want %v", tc.spent, tc.cost, got, tc.want)
		}
	}
	if (record.Policy{}).OverOfflineCap(1<<40, 1<<40) {
		t.Error("no cap: OverOfflineCap true")
	}
}

func TestPolicyExpiryCutoff(t *testing.T) {
	now := time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)
	if _, ok := (record.Policy{}).ExpiryCutoff(now); ok {
		t.Fatal("points that never expire have a cutoff")
	}
	got, ok := record.Policy{PointsExpireMonths: 12}.ExpiryCutoff(now)
	if want := time.Date(2025, 3, 31, 12, 0, 0, 0, time.UTC); !ok || !got.Equal(want) {
		t.Fatalf("ExpiryCutoff = %v, %v; want %v", got, ok, want)
	}
}
