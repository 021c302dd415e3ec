package control

// Health is the answer to `health`, one line of JSON: whether a terminal
// that just started does its work. An update waits for OK before it keeps
// a new version (kioskctl update); anything else within its deadline rolls
// the update back. Field names are read by scripts: add, never rename.
type Health struct {
	OK bool `json:"ok"`
	// Mode is "screen" or "headless".
	Mode string `json:"mode"`
	// Screen is "ok" once a frame of a scene has been painted, "headless"
	// for the station, otherwise what is missing.
	Screen string `json:"screen"`
	// Ledger is "ok" when the ledger opened and a quick verification (its
	// pages, chains and balances) passed, otherwise the fault.
	Ledger string `json:"ledger"`
	// Reader is "ok" when every configured card reader answers.
	Reader string `json:"reader"`
	// Probation: the terminal holds taps until the updater commits it
	// (ProbationFile).
	Probation bool `json:"probation,omitempty"`
	// Problems lists what is not ok, in words for the technician.
	Problems []string `json:"problems,omitempty"`
}
