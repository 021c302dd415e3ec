package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/record"
)

// Activity is a service activity at a center (助老服务, 环境整治, ...), with its
// schedule and the rules that turn a shift into minutes and points.
type Activity struct {
	ID       record.ActivityID
	Center   string
	Name     string
	Schedule record.Schedule
	Rules    record.Rules
	Active   bool
}

// AcceptsCheckIn reports whether the activity is active and a check-in at
// now (any location; converted to loc) falls in its window.
func (a Activity) AcceptsCheckIn(now time.Time, loc *time.Location) bool {
	return a.Active && record.AcceptsCheckIn(a.Schedule, a.Rules, now, loc)
}

// PutActivity adds or replaces an activity (from staff or the hub).
type PutActivity struct {
	ID       record.EntryID
	Activity Activity // ID 0: a new random id; Center "": this terminal's
}

// PutActivity stores an activity and its rules.
func (l *Ledger) PutActivity(ctx context.Context, req PutActivity) (Activity, error) {
	return do(l, ctx, opPutActivity, req.ID, func(t *wtx) (Activity, error) { return t.putActivityHere(req.Activity) })
}

// putActivityHere stores an activity made or changed here and records it
// for the hub (putActivity alone is also a pull's, which must not go back).
func (t *wtx) putActivityHere(a Activity) (Activity, error) {
	a, err := t.putActivity(a)
	if err != nil {
		return a, err
	}
	return a, t.outboxActivity(a.ID)
}

func (t *wtx) putActivity(a Activity) (Activity, error) {
	if strings.TrimSpace(a.Name) == "" {
		return a, fmt.Errorf("put activity: no name: %w", ErrInvalid)
	}
	if err := a.Schedule.Validate(); err != nil {
		return a, fmt.Errorf("put activity %q: %w", a.Name, err)
	}
	if err := a.Rules.Validate(); err != nil {
		return a, fmt.Errorf("put activity %q: %w", a.Name, err)
	}
	if a.ID == 0 {
		a.ID = record.ActivityID(randomID())
	}
	if a.Center == "" {
		a.Center = t.l.term.Center
	}
	sched, _ := json.Marshal(a.Schedule)
	rules, err := json.Marshal(a.Rules)
	if err != nil {
		return a, fmt.Errorf("put activity %q: %w", a.Name, err)
	}
	_, err = t.exec(`INSERT INTO activities(id, center, name, schedule, rules, active) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET center = excluded.center, name = excluded.name, schedule = excluded.schedule,
		rules = excluded.rules, active = excluded.active`, int64(a.ID), a.Center, a.Name, string(sched), string(rules), a.Active)
	return a, err
}

const activityColumns = "id, center, name, schedule, rules, active"

func scanActivity(s interface{ Scan(...any) error }) (Activity, error) {
	var a Activity
	var sched, rules string
	if err := s.Scan((*int64)(&a.ID), &a.Center, &a.Name, &sched, &rules, &a.Active); err != nil {
		return a, err
	}
	if err := json.Unmarshal([]byte(sched), &a.Schedule); err != nil {
		return a, fmt.Errorf("activity %d schedule: %v: %w", a.ID, err, ErrCorrupt)
	}
	if err := json.Unmarshal([]byte(rules), &a.Rules); err != nil {
		return a, fmt.Errorf("activity %d rules: %v: %w", a.ID, err, ErrCorrupt)
	}
	return a, nil
}

func readActivity(ctx context.Context, q querier, id record.ActivityID) (Activity, error) {
	a, err := scanActivity(q.QueryRowContext(ctx, "SELECT "+activityColumns+" FROM activities WHERE id = ?", int64(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("activity %d: %w", id, ErrNotFound)
	}
	return a, storageErr(err)
}

// Activity returns one activity.
func (l *Ledger) Activity(ctx context.Context, id record.ActivityID) (Activity, error) {
	return readActivity(ctx, l.r, id)
}

// Activities returns this center's activities, active or not, by name.
func (l *Ledger) Activities(ctx context.Context) ([]Activity, error) {
	rows, err := l.read().QueryContext(ctx, "SELECT "+activityColumns+" FROM activities WHERE center = ? ORDER BY name", l.term.Center)
	if err != nil {
		return nil, fmt.Errorf("list activities: %w", storageErr(err))
	}
	defer rows.Close()
	var out []Activity
	for rows.Next() {
		a, err := scanActivity(rows)
		if err != nil {
			return nil, fmt.Errorf("list activities: %w", storageErr(err))
		}
		out = append(out, a)
	}
	return out, storageErr(rows.Err())
}

// ActivitiesOpenNow returns this center's activities that accept a check-in
// now, for the check-in screen.
func (l *Ledger) ActivitiesOpenNow(ctx context.Context) ([]Activity, error) {
	all, err := l.Activities(ctx)
	if err != nil {
		return nil, err
	}
	now := l.opts.Clock.Now()
	var out []Activity
	for _, a := range all {
		if a.AcceptsCheckIn(now, l.opts.Location) {
			out = append(out, a)
		}
	}
	return out, nil
}

// ActivitiesToday returns this center's active activities that run today,
// for the idle screen.
func (l *Ledger) ActivitiesToday(ctx context.Context) ([]Activity, error) {
	all, err := l.Activities(ctx)
	if err != nil {
		return nil, err
	}
	now := l.opts.Clock.Now().In(l.opts.Location)
	var out []Activity
	for _, a := range all {
		if a.Active && a.Schedule.RunsOn(now) {
			out = append(out, a)
		}
	}
	return out, nil
}
