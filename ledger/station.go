package ledger

import (
	"context"
	"fmt"
	"strconv"

	"github.com/hongmajia/hongmajia/record"
)

// SetStationActivity names the activity a headless station (服务站点,
// `kiosk --headless`) checks volunteers in and out of, so the terminal needs
// no configuration beyond its data directory. The activity must exist at this
// terminal's center.
func (l *Ledger) SetStationActivity(ctx context.Context, id record.ActivityID) error {
	a, err := readActivity(ctx, l.r, id)
	if err != nil {
		return fmt.Errorf("set station activity: %w", err)
	}
	if a.Center != l.term.Center {
		return fmt.Errorf("set station activity: %q is at center %s, not %s: %w", a.Name, a.Center, l.term.Center, ErrInvalid)
	}
	return l.write(ctx, "set station activity", func(t *wtx) error { return t.setStation(id) })
}

// StationActivity returns the activity SetStationActivity named; ErrNotFound
// when none was named or it no longer exists.
func (l *Ledger) StationActivity(ctx context.Context) (Activity, error) {
	m, err := readMeta(ctx, l.r)
	if err != nil {
		return Activity{}, fmt.Errorf("station activity: %w", err)
	}
	v, ok := m["station_activity"]
	if !ok {
		return Activity{}, fmt.Errorf("station activity: none set: %w", ErrNotFound)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return Activity{}, fmt.Errorf("station activity %q: %w", v, ErrCorrupt)
	}
	a, err := readActivity(ctx, l.r, record.ActivityID(n))
	if err != nil {
		return Activity{}, fmt.Errorf("station activity: %w", err)
	}
	return a, nil
}
