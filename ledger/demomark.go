package ledger

import (
	"context"
	"fmt"
	"strings"

	"github.com/hongmajia/hongmajia/record"
)

// DemoMark is what `kioskctl demo` records in a ledger it fills. A terminal
// knows it runs on demo data from this mark alone, never from its center,
// and finds the cards its demo keys tap here, so a production binary needs
// nothing of the demo generator.
type DemoMark struct {
	// Demo: the people and the history are made up.
	Demo bool
	// KeyCards are the cards the demo window's keys 1–9 tap, in key order.
	KeyCards []record.CardUID
}

// Meta keys of the demo mark.
const (
	metaDemo         = "demo"
	metaDemoKeyCards = "demo_key_cards" // UIDs joined by commas
)

// MarkDemo records that the ledger holds demo data, whose keys 1–9 tap
// keyCards (normalised UIDs, see ParseUID). Only the demo generator calls it.
func (l *Ledger) MarkDemo(ctx context.Context, keyCards []record.CardUID) error {
	uids := make([]string, len(keyCards))
	for i, c := range keyCards {
		if n, err := record.ParseUID(string(c)); err != nil || n != c {
			return fmt.Errorf("mark demo: key card %q is not a normalised UID: %w", c, ErrBadUID)
		}
		uids[i] = string(c)
	}
	return l.setMeta(ctx, "mark demo", map[string]string{metaDemo: "1", metaDemoKeyCards: strings.Join(uids, ",")})
}

// Demo returns the ledger's demo mark; the zero DemoMark for a real ledger.
func (l *Ledger) Demo(ctx context.Context) (DemoMark, error) {
	m, err := readMeta(ctx, l.r)
	if err != nil {
		return DemoMark{}, fmt.Errorf("read demo mark: %w", err)
	}
	if m[metaDemo] != "1" {
		return DemoMark{}, nil
	}
	d := DemoMark{Demo: true}
	if v := m[metaDemoKeyCards]; v != "" {
		for _, s := range strings.Split(v, ",") {
			c, err := record.ParseUID(s)
			if err != nil {
				return DemoMark{}, fmt.Errorf("read demo mark: key card %q: %v: %w", s, err, ErrCorrupt)
			}
			d.KeyCards = append(d.KeyCards, c)
		}
	}
	return d, nil
}
