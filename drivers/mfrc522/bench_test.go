package mfrc522_test

import (
	"context"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/drivers/mfrc522"
	"github.com/hongmajia/hongmajia/drivers/mfrc522/chipsim"
	"github.com/hongmajia/hongmajia/drivers/rfid"
)

// BenchmarkIdlePoll is one Detect on an empty field: SPI transactions,
// simulated bus and radio time, allocations.
func BenchmarkIdlePoll(b *testing.B) {
	for _, irq := range []bool{false, true} {
		name := "poll-ComIrqReg"
		if irq {
			name = "irq-pin"
		}
		b.Run(name, func(b *testing.B) {
			chip := chipsim.New()
			d := mustOpen(b, chip, func(o *mfrc522.Opts) {
				if irq {
					o.IRQPin = chip.IRQPin()
				}
			})
			ctx := context.Background()
			start := chip.Stats()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := d.Detect(ctx); err != rfid.ErrNoCard {
					b.Fatal(err)
				}
			}
			end := chip.Stats()
			b.ReportMetric(float64(end.Tx-start.Tx)/float64(b.N), "spi-tx/op")
			b.ReportMetric(float64((end.Time-start.Time).Microseconds())/float64(b.N), "sim-µs/op")
		})
	}
}

// BenchmarkCardToUID is the time from a card entering the field to
// WaitForCard returning its UID, at the default 10 polls per second. The
// card arrives at a different phase of the poll cycle each time, spread
// evenly, so the mean includes the wait for the next poll.
func BenchmarkCardToUID(b *testing.B) {
	for _, tc := range []struct {
		name string
		card func() *chipsim.Card
	}{
		{"uid4-classic", func() *chipsim.Card { return chipsim.NewClassic1K(uid4) }},
		{"uid7-ultralight", func() *chipsim.Card { return chipsim.NewUltralight(uid7) }},
		{"uid10", func() *chipsim.Card { return chipsim.NewCard(uid10, 0x20) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			chip := chipsim.New()
			d := mustOpen(b, chip, nil)
			ctx := context.Background()
			interval := d.PollInterval()
			var total, worst time.Duration
			tx := 0
			b.ResetTimer()
			for i := range b.N {
				card := tc.card()
				// Golden-ratio phases cover the poll cycle evenly.
				phase := time.Duration(float64(interval) * float64((i*618034)%1000000) / 1e6)
				enter := chip.Elapsed() + phase
				chip.InsertAt(card, enter)
				before := chip.Stats().Tx
				got, err := d.WaitForCard(ctx)
				if err != nil || len(got.UID) == 0 {
					b.Fatalf("WaitForCard: %v %v", got.UID, err)
				}
				lat := chip.Elapsed() - enter
				total += lat
				worst = max(worst, lat)
				tx += chip.Stats().Tx - before
				chip.Remove(card)
				if _, err := d.Detect(ctx); err != rfid.ErrNoCard {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "sim-ms/op")
			b.ReportMetric(float64(worst.Microseconds())/1000, "worst-sim-ms")
			b.ReportMetric(float64(tx)/float64(b.N), "spi-tx/op")
		})
	}
}

// BenchmarkDetectCard is one Detect that reads a card already in the field
// (held, so WUPA after REQA): the cost of a read itself.
func BenchmarkDetectCard(b *testing.B) {
	for _, tc := range []struct {
		name string
		uid  []byte
	}{{"uid4", uid4}, {"uid7", uid7}, {"uid10", uid10}} {
		b.Run(tc.name, func(b *testing.B) {
			chip := chipsim.New()
			d := mustOpen(b, chip, nil)
			chip.Insert(chipsim.NewCard(tc.uid, 0x08))
			ctx := context.Background()
			if _, err := d.Detect(ctx); err != nil {
				b.Fatal(err)
			}
			start := chip.Stats()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := d.Detect(ctx); err != nil {
					b.Fatal(err)
				}
			}
			end := chip.Stats()
			b.ReportMetric(float64(end.Tx-start.Tx)/float64(b.N), "spi-tx/op")
			b.ReportMetric(float64((end.Time-start.Time).Microseconds())/float64(b.N), "sim-µs/op")
		})
	}
}
