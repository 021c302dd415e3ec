package mfrc522_test

import (
	"context"
	"fmt"

	"github.com/hongmajia/hongmajia/drivers/mfrc522"
	"github.com/hongmajia/hongmajia/drivers/mfrc522/chipsim"
)

// On a Pi the port comes from periph.io/x/host/v3 and spireg.Open
// ("/dev/spidev0.0"); here it is the chip model, with a card in its field.
func Example() {
	chip := chipsim.New()
	chip.Insert(chipsim.NewUltralight([]byte{0x04, 0x1A, 0x2B, 0x3C, 0x4D, 0x5E, 0x80}))

	opts := mfrc522.DefaultOpts
	opts.Clock = chip.Clock() // simulated time; leave nil on a Pi
	d, err := mfrc522.NewSPI(chip.Port(), &opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Halt()
	card, err := d.WaitForCard(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s version %#x: %s, %s\n", d, d.Version(), card.UID, card.Type)
	// Output: MFRC522{chipsim} version 0x92: 041A2B3C4D5E80, MIFARE Ultralight/NTAG
}
