package record

import (
	"fmt"
	"time"
)

// Policy holds the limits that come from the district (hub), kept in data.
type Policy struct {
	// OfflineCapPoints caps the points one card may redeem on this terminal
	// since its last acknowledged sync; 0: no cap.
	OfflineCapPoints int64 `json:"offline_cap_points"`
	// MaxSyncAge: an enrolled terminal whose last successful sync is older
	// refuses redemption (earning goes on); 0: no limit.
	MaxSyncAge time.Duration `json:"max_sync_age"`
	// PointsExpireMonths: points earned longer ago and not spent expire when
	// the expiry runs; 0: never (the default).
	PointsExpireMonths int `json:"points_expire_months"`
}

// DefaultPolicy applies until the hub sends one: a nightly sync may fail for
// a few days before redemption stops; a card may redeem 500 points offline.
var DefaultPolicy = Policy{OfflineCapPoints: 500, MaxSyncAge: 7 * 24 * time.Hour}

// Validate refuses a negative limit; the error wraps ErrInvalid.
func (p Policy) Validate() error {
	if p.OfflineCapPoints < 0 || p.MaxSyncAge < 0 || p.PointsExpireMonths < 0 {
		return fmt.Errorf("policy: negative limit: %w", ErrInvalid)
	}
	return nil
}

// SyncTooOld reports whether a terminal must refuse redemption at now: it is
// enrolled with a hub, the policy limits the sync age, and its last
// successful sync (zero: never) is older than that.
func (p Policy) SyncTooOld(enrolled bool, lastSync, now time.Time) bool {
	return enrolled && p.MaxSyncAge > 0 && (lastSync.IsZero() || now.Sub(lastSync) > p.MaxSyncAge)
}

// OverOfflineCap reports whether redeeming cost more points on a card that
// has spent spent points since the last acknowledged sync goes past the cap.
func (p Policy) OverOfflineCap(spent, cost int64) bool {
	return p.OfflineCapPoints > 0 && spent+cost > p.OfflineCapPoints
}

// ExpiryCutoff returns when points must have been earned to be kept at now:
// PointsExpireMonths calendar months earlier. ok is false when points never
// expire.
func (p Policy) ExpiryCutoff(now time.Time) (cutoff time.Time, ok bool) {
	if p.PointsExpireMonths <= 0 {
		return time.Time{}, false
	}
	return now.AddDate(0, -p.PointsExpireMonths, 0), true
}
