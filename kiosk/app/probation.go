package app

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/hongmajia/hongmajia/kiosk/control"
)

// probationPoll is how often a terminal on probation looks whether its
// update was settled without telling it (the updater died after its
// decision, or was finished by another).
const probationPoll = 2 * time.Second

// loadProbation reads the data directory's probation marker
// (control.ProbationFile): a terminal started on probation holds taps until
// the update that started it is committed. A marker whose update is
// already settled is removed.
func (a *App) loadProbation() {
	p, err := control.ReadProbation(a.cfg.Data)
	if err != nil {
		// Unreadable: hold, as a rollback may still come.
		a.logf("kiosk: %v: holding taps until the update is committed", err)
		p = &control.Probation{}
	}
	if p == nil {
		return
	}
	if p.Journal != "" && p.Settled() {
		a.endProbation("its update was settled")
		return
	}
	a.mu.Lock()
	a.probation = p
	a.mu.Unlock()
	a.logf("kiosk: on probation after an update (%s): taps are held until it is committed", p.Version)
}

// OnProbation says whether the terminal holds taps: an update that
// migrated the ledger has not yet decided to keep this version.
func (a *App) OnProbation() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.probation != nil
}

// endProbation takes the terminal off probation and removes the marker.
func (a *App) endProbation(why string) {
	a.mu.Lock()
	was := a.probation != nil
	a.probation = nil
	a.mu.Unlock()
	err := os.Remove(filepath.Join(a.cfg.Data, control.ProbationFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		a.logf("kiosk: probation: %v", err)
	}
	if was {
		a.logf("kiosk: off probation (%s): taps are taken again", why)
	}
}

// watchProbation ends probation once the update's journal is gone or
// committed, for an updater that died without saying `commit`. It never
// ends it otherwise: holding taps loses nothing, a rollback after one would.
func (a *App) watchProbation(ctx context.Context) {
	a.mu.Lock()
	p := a.probation
	a.mu.Unlock()
	if p == nil || p.Journal == "" {
		return
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case <-a.clk.After(probationPoll):
			}
			if !a.OnProbation() {
				return
			}
			if p.Settled() {
				a.endProbation("the update's journal is gone or committed")
				return
			}
		}
	}()
}
