package kiosk

import (
	"context"
	"strconv"
	"time"

	"github.com/hongmajia/hongmajia/drivers/printer"
	"github.com/hongmajia/hongmajia/ledger"
)

// Printer prints a pickup slip: a receipt printer (drivers/board), in
// Options.Printer.
type Printer interface {
	Print(ctx context.Context, s printer.Slip) error
}

// slipTimeout bounds one slip: a 9600-baud serial printer takes a slip in
// about a second; more means it is off, out of paper or stuck.
const slipTimeout = 30 * time.Second

// printSlip prints the pickup slip of a redemption, when a printer is
// fitted, in the background: the screen never waits for paper. A slip that
// fails is logged and nothing more: the code is on the screen anyway.
func (t *Terminal) printSlip(r ledger.Redemption) {
	p := t.opts.Printer
	if p == nil {
		return
	}
	s := printer.Slip{
		Heading: t.view.Center,
		Title:   t.words("slip.title"),
		Lines: []printer.Line{
			{Label: t.words("slip.item"), Value: r.Item.Name},
			{Label: t.words("slip.points"), Value: strconv.FormatInt(r.Points, 10)},
			{Label: t.words("slip.balance"), Value: strconv.FormatInt(r.Balance.Points, 10)},
			{Label: t.words("slip.time"), Value: r.Entry.At.In(t.loc()).Format("2006-01-02 15:04")},
		},
		CodeLabel: t.words("redeem.pickup_code"),
		Code:      string(r.Code),
		Footer:    t.words("redeem.pickup_hint"),
	}
	ctx, logf := t.ctx, t.logf
	go func() {
		ctx, cancel := context.WithTimeout(ctx, slipTimeout)
		defer cancel()
		if err := p.Print(ctx, s); err != nil {
			logf("kiosk: pickup slip %s not printed: %v", s.Code, err)
		}
	}()
}
