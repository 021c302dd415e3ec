package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ProbationFile, in the data directory, says that the version starting is
// on probation: an update that migrated the ledger waits for its health,
// and a failed health puts back the ledger from before the update. So a
// terminal on probation writes nothing (a tap is answered "please wait,
// updating") until the updater commits it (the control command `commit`)
// or its journal is gone or says committed (the updater died after the
// decision). The updater writes it, as the data directory's owner, before
// it starts the new version; a rollback removes it.
const ProbationFile = "probation.json"

// Probation is ProbationFile's content.
type Probation struct {
	// Version is the version on probation.
	Version string `json:"version"`
	// Journal is the update's journal (update.json in the versions
	// directory): while it is there and not committed, the update may
	// still be rolled back.
	Journal string    `json:"journal"`
	Since   time.Time `json:"since"`
}

// ReadProbation reads dataDir's probation marker; nil when there is none.
func ReadProbation(dataDir string) (*Probation, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, ProbationFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("probation: %w", err)
	}
	var p Probation
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("probation %s: %w", filepath.Join(dataDir, ProbationFile), err)
	}
	return &p, nil
}

// StepCommitted is the update journal's step once the updater has decided
// to keep the new version: nothing rolls it back any more.
const StepCommitted = "committed"

// Settled says whether p's update can no longer be rolled back: its
// journal is gone, or says committed. A journal that cannot be read is
// not settled (the terminal stays on probation: holding taps loses
// nothing, a rollback after taps would).
func (p *Probation) Settled() bool {
	if p.Journal == "" {
		return true
	}
	b, err := os.ReadFile(p.Journal)
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	if err != nil {
		return false
	}
	var j struct {
		Step string `json:"step"`
		To   string `json:"to"`
	}
	if json.Unmarshal(b, &j) != nil {
		return false
	}
	// A journal of another update (a later one) is not this one's.
	return j.Step == StepCommitted || (j.To != "" && p.Version != "" && j.To != p.Version)
}
