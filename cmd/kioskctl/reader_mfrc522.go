// The MFRC522 driver wired into `kioskctl reader test`.

package main

import "github.com/hongmajia/hongmajia/drivers/board"

func init() { openMFRC522 = board.StartMFRC522 }
