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
	// Build is the running program's build (its commit), as the hub sees it.
	Build string `json:"build,omitempty"`
	Demo  bool   `json:"demo"`
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

	// The sync with the district hub, from the ledger's standing.
	Enrolled bool   `json:"enrolled"`
	Hub      string `json:"hub,omitempty"` // the hub's address the terminal syncs with
	// LastPush is the last push the hub took whole; null: never.
	LastPush *time.Time `json:"last_push"`
	AckedSeq uint64     `json:"acked_seq"` // the hub holds this terminal's entries up to here
	HeadSeq  uint64     `json:"head_seq"`  // the terminal's last entry
	// ChangesUnsynced counts the registry changes made here (walk-ins,
	// cards) the hub has not acknowledged.
	ChangesUnsynced uint64 `json:"changes_unsynced"`
	RegistryVersion uint64 `json:"registry_version"`
	// LastRefusal is why the hub refused the last push ("" once one is
	// taken); Fork that the ledger differs from the hub's anchor.
	LastRefusal   string `json:"last_refusal,omitempty"`
	Fork          bool   `json:"fork"`
	ClockOffsetMS int64  `json:"clock_offset_ms"` // the hub's clock less this kiosk's
	// SyncLink is "on" when the terminal syncs (nightly, and when asked),
	// "off" when the ledger is not enrolled, or why an enrolled terminal
	// cannot sync (its key is missing).
	SyncLink string `json:"sync_link,omitempty"`
	// Syncing: a sync runs now. NextSync is when the nightly one starts.
	Syncing  bool       `json:"syncing"`
	NextSync *time.Time `json:"next_sync,omitempty"`
	// LastTry is how the last sync this terminal ran since it started
	// went, nightly or asked; absent when none ran.
	LastTry *SyncReport `json:"last_try,omitempty"`
	// FullCheck is the ledger's full integrity check (PRAGMA
	// integrity_check) that runs in the background after the start check,
	// or the last one that passed; absent when none is known.
	FullCheck *FullCheck `json:"full_check,omitempty"`
}

// FullCheck is how the ledger's full integrity check went. Field names are
// read by scripts: add, never rename.
type FullCheck struct {
	At      time.Time `json:"at"` // when it started
	Running bool      `json:"running"`
	OK      bool      `json:"ok"`
	TookMS  int64     `json:"took_ms"`
	// Error is what it found (the terminal then needs a technician) or
	// why it did not end.
	Error string `json:"error,omitempty"`
}

// SyncReport is how one sync went: the answer to `sync` (one line of JSON;
// a sync that failed is a report too, with its Trouble), and what `kioskctl
// sync` prints when it syncs a stopped terminal's data directory itself.
// Field names are read by scripts: add, never rename.
type SyncReport struct {
	// At is when the sync ended.
	At time.Time `json:"at"`
	// OK: the hub holds everything and the pull was applied.
	OK bool `json:"ok"`
	// Pushed and Changes count the entries and the registry changes the
	// hub took in this sync; Pulled the registry rows and balances applied.
	Pushed  int `json:"pushed"`
	Changes int `json:"changes"`
	Pulled  int `json:"pulled"`
	// Acked is the highest sequence the hub holds; Unsynced what it does
	// not hold yet.
	Acked           uint64 `json:"acked_seq"`
	Unsynced        uint64 `json:"unsynced"`
	RegistryVersion uint64 `json:"registry_version"`
	ClockOffsetMS   int64  `json:"clock_offset_ms"`
	TookMS          int64  `json:"took_ms"`
	// Trouble is what kind of failure it was ("" when OK): one of the
	// Trouble constants. Refused is the hub's reason for a refused push,
	// Error the whole error.
	Trouble string `json:"trouble,omitempty"`
	Refused string `json:"refused,omitempty"`
	Error   string `json:"error,omitempty"`
}

// What kind of failure a sync met (SyncReport.Trouble).
const (
	// TroubleNetwork: the hub was not reached, or its answer did not
	// arrive. Nothing is lost; the nightly sync tries again.
	TroubleNetwork = "network"
	// TroubleHub: the hub failed; the nightly sync tries again.
	TroubleHub = "hub"
	// TroubleRefused: the hub refused the push (a gap, a broken chain) and
	// stored nothing of it; the kiosk keeps everything, a technician looks.
	TroubleRefused = "refused"
	// TroubleFork: the ledger is behind or differs from what the hub
	// anchored (rolled back, rewritten): a technician restores it from the
	// hub.
	TroubleFork = "fork"
	// TroubleRejected: the hub does not take this kiosk (revoked, unknown,
	// a key that is not the enrolled one): a technician enrolls it again.
	TroubleRejected = "rejected"
	// TroubleReplay: the hub has seen this kiosk's request counter before:
	// its ledger went back in time (a backup put back, a lost WAL, while
	// its clock was not trusted) or a copy of it syncs elsewhere: a
	// technician looks.
	TroubleReplay = "replay"
	// TroubleFailed: anything else (the ledger, a bug); the log says more.
	TroubleFailed = "failed"
)

// AnchorReport is the answer to `anchor`: the hub's anchor of this
// terminal beside the ledger's head (kioskctl verify --hub).
type AnchorReport struct {
	HubSeq    uint64 `json:"hub_seq"`
	HubHash   string `json:"hub_hash"`
	LocalSeq  uint64 `json:"local_seq"`
	LocalHash string `json:"local_hash"`
	// Fork: the ledger is behind the hub's anchor or differs from it.
	Fork   bool   `json:"fork"`
	Reason string `json:"reason,omitempty"`
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
