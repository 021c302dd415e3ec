package control

import "time"

// Status is the answer to `status`, one line of JSON. Field names are read
// by scripts: add, never rename.
type Status struct {
	Terminal   string `json:"terminal,omitempty"`
	Center     string `json:"center,omitempty"`
	CenterName string `json:"center_name,omitempty"`
	// Mode is "screen" or "headless".
	Mode string `json:"mode"`
	Demo bool   `json:"demo"`
	// Scene is what the screen shows, when a screen says.
	Scene string `json:"scene,omitempty"`
	// Drawn is the scene on the last frame painted: Scene is on screen once
	// Drawn names it. Frames counts frames painted and Updates the frame
	// loop's wakes; at idle both grow once a minute (the clock).
	Drawn   string `json:"drawn,omitempty"`
	Frames  uint64 `json:"frames,omitempty"`
	Updates uint64 `json:"updates,omitempty"`
	// Station is the headless station's activity.
	Station string         `json:"station_activity,omitempty"`
	Readers []ReaderReport `json:"readers"`
	// Ledger is "ok" or the fault the terminal shows a technician.
	Ledger      string     `json:"ledger"`
	LedgerError string     `json:"ledger_error,omitempty"`
	Unsynced    uint64     `json:"unsynced"`
	LastSync    *time.Time `json:"last_sync"` // null: never
	// LastTap is what the last tap did, when the station says.
	LastTap string `json:"last_tap,omitempty"`
}

// ReaderReport is one card reader in Status.
type ReaderReport struct {
	Kind   string    `json:"kind"`
	Device string    `json:"device"`
	State  string    `json:"state"`
	Since  time.Time `json:"since"`
	Error  string    `json:"error,omitempty"`
	Taps   uint64    `json:"taps"`
	// Transient counts RF glitches and malformed reads, each retried.
	Transient uint64 `json:"transient"`
	Reopens   uint64 `json:"reopens"`
}
