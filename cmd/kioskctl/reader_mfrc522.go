// The MFRC522 driver wired into `kioskctl reader test`.

package main

import (
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/spi"

	"github.com/hongmajia/hongmajia/drivers/mfrc522"
	"github.com/hongmajia/hongmajia/drivers/rfid"
)

func init() {
	openMFRC522 = func(p spi.Port, reset gpio.PinOut, irq gpio.PinIn, logf func(string, ...any)) (rfid.Detector, error) {
		o := mfrc522.DefaultOpts
		o.ResetPin, o.IRQPin, o.Logf = reset, irq, logf
		d, err := mfrc522.NewSPI(p, &o)
		if err != nil {
			return nil, err
		}
		return d, nil
	}
}
