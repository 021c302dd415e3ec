// Package commands holds the register-level vocabulary of the NXP MFRC522
// (datasheet rev 3.9, 27 April 2016) and the PICC commands of ISO/IEC 14443-3
// type A and MIFARE, shared by the driver and the chip model.
//
// Section numbers in comments refer to that datasheet unless they name the
// ISO standard or an NXP application note.
package commands

// Register addresses, §9.2 table 20. The SPI address byte is built by
// ReadAddr / WriteAddr (§8.1.2.3).
const (
	CommandReg    = 0x01 // §9.3.1.2: starts and stops command execution
	ComIEnReg     = 0x02 // §9.3.1.3: which ComIrqReg bits drive the IRQ pin
	DivIEnReg     = 0x03 // §9.3.1.4
	ComIrqReg     = 0x04 // §9.3.1.5: interrupt request bits
	DivIrqReg     = 0x05 // §9.3.1.6
	ErrorReg      = 0x06 // §9.3.1.7: error bits of the last command
	Status1Reg    = 0x07 // §9.3.1.8
	Status2Reg    = 0x08 // §9.3.1.9: MFCrypto1On, modem state
	FIFODataReg   = 0x09 // §9.3.1.10: 64-byte FIFO in and out
	FIFOLevelReg  = 0x0A // §9.3.1.11: bytes in the FIFO, FlushBuffer
	WaterLevelReg = 0x0B // §9.3.1.12
	ControlReg    = 0x0C // §9.3.1.13: RxLastBits
	BitFramingReg = 0x0D // §9.3.1.14: StartSend, RxAlign, TxLastBits
	CollReg       = 0x0E // §9.3.1.15: first bit collision position

	ModeReg        = 0x11 // §9.3.2.2: CRC preset
	TxModeReg      = 0x12 // §9.3.2.3
	RxModeReg      = 0x13 // §9.3.2.4
	TxControlReg   = 0x14 // §9.3.2.5: antenna drivers TX1, TX2
	TxASKReg       = 0x15 // §9.3.2.6: Force100ASK
	TxSelReg       = 0x16 // §9.3.2.7
	RxSelReg       = 0x17 // §9.3.2.8
	RxThresholdReg = 0x18 // §9.3.2.9
	DemodReg       = 0x19 // §9.3.2.10
	MfTxReg        = 0x1C // §9.3.2.13
	MfRxReg        = 0x1D // §9.3.2.14
	SerialSpeedReg = 0x1F // §9.3.2.16

	CRCResultRegH    = 0x21 // §9.3.3.2: CalcCRC result, MSB
	CRCResultRegL    = 0x22 // §9.3.3.2: CalcCRC result, LSB
	ModWidthReg      = 0x24 // §9.3.3.4
	RFCfgReg         = 0x26 // §9.3.3.6: RxGain
	GsNReg           = 0x27 // §9.3.3.7
	CWGsPReg         = 0x28 // §9.3.3.8
	ModGsPReg        = 0x29 // §9.3.3.9
	TModeReg         = 0x2A // §9.3.3.10: TAuto, TPrescaler_Hi
	TPrescalerReg    = 0x2B // §9.3.3.10: TPrescaler_Lo
	TReloadRegH      = 0x2C // §9.3.3.11
	TReloadRegL      = 0x2D // §9.3.3.11
	TCounterValRegH  = 0x2E // §9.3.3.12
	TCounterValRegL  = 0x2F // §9.3.3.12
	TestSel1Reg      = 0x31 // §9.3.4.2
	AutoTestReg      = 0x36 // §9.3.4.7
	VersionReg       = 0x37 // §9.3.4.8: chip type and version
	AnalogTestReg    = 0x38 // §9.3.4.9
	NumRegisters     = 0x40 // six address bits, §8.1.2.3
	FIFOSize         = 64   // §8.3.1
	ReadBit          = 0x80 // address byte bit 7: 1 reads, 0 writes (§8.1.2.3)
	addressShift     = 1    // register in bits 6..1, bit 0 is always 0
	addressRegMask   = 0x3F // six bits of register address
	addressLSBIsZero = 0x01
)

// ReadAddr is the SPI address byte that reads reg (§8.1.2.3, table 9).
func ReadAddr(reg byte) byte { return ReadBit | (reg&addressRegMask)<<addressShift }

// WriteAddr is the SPI address byte that writes reg (§8.1.2.3, table 9).
func WriteAddr(reg byte) byte { return (reg & addressRegMask) << addressShift }

// DecodeAddr splits an SPI address byte into the register and the direction.
// ok is false when bit 0 is set, which the datasheet requires to be 0.
func DecodeAddr(b byte) (reg byte, read, ok bool) {
	return (b >> addressShift) & addressRegMask, b&ReadBit != 0, b&addressLSBIsZero == 0
}

// Command is a value of CommandReg bits 3..0 (§10.3, table 149).
type Command byte

// Commands, §10.3 table 149.
const (
	Idle             Command = 0x0
	Mem              Command = 0x1
	GenerateRandomID Command = 0x2
	CalcCRC          Command = 0x3
	Transmit         Command = 0x4
	NoCmdChange      Command = 0x7
	Receive          Command = 0x8
	Transceive       Command = 0xC
	MFAuthent        Command = 0xE
	SoftReset        Command = 0xF
)

func (c Command) String() string {
	switch c {
	case Idle:
		return "Idle"
	case Mem:
		return "Mem"
	case GenerateRandomID:
		return "GenerateRandomID"
	case CalcCRC:
		return "CalcCRC"
	case Transmit:
		return "Transmit"
	case NoCmdChange:
		return "NoCmdChange"
	case Receive:
		return "Receive"
	case Transceive:
		return "Transceive"
	case MFAuthent:
		return "MFAuthent"
	case SoftReset:
		return "SoftReset"
	}
	return "Command(0x" + hexNibble(byte(c)) + ")"
}

func hexNibble(b byte) string { return string("0123456789ABCDEF"[b&0xF]) }

// CommandReg bits, §9.3.1.2.
const (
	CommandMask = 0x0F
	PowerDown   = 0x10 // soft power-down; reads 1 until a soft reset is done
	RcvOff      = 0x20 // analog receiver off
)

// ComIEnReg bits, §9.3.1.3.
const (
	IRqInv     = 0x80 // IRQ pin inverted: active low (reset value)
	TxIEn      = 0x40
	RxIEn      = 0x20
	IdleIEn    = 0x10
	HiAlertIEn = 0x08
	LoAlertIEn = 0x04
	ErrIEn     = 0x02
	TimerIEn   = 0x01
)

// ComIrqReg bits, §9.3.1.5. Writing with Set1=0 clears the marked bits.
const (
	Set1       = 0x80
	TxIRq      = 0x40
	RxIRq      = 0x20 // end of a received frame
	IdleIRq    = 0x10 // a command ended by itself
	HiAlertIRq = 0x08
	LoAlertIRq = 0x04
	ErrIRq     = 0x02 // any ErrorReg bit set
	TimerIRq   = 0x01 // the timer reached zero
	ComIrqAll  = 0x7F
)

// DivIEnReg and DivIrqReg bits, §9.3.1.4 and §9.3.1.6.
const (
	IRQPushPull = 0x80
	Set2        = 0x80
	MfinActIRq  = 0x10
	CRCIRq      = 0x04 // CalcCRC finished: FIFO empty and result ready
)

// ErrorReg bits, §9.3.1.7.
const (
	WrErr       = 0x80
	TempErr     = 0x40 // overheating: antenna drivers switched off
	BufferOvfl  = 0x10 // FIFO overflow
	CollErr     = 0x08 // bit collision detected
	CRCErr      = 0x04 // only with RxCRCEn, which this driver leaves off
	ParityErr   = 0x02
	ProtocolErr = 0x01 // SOF wrong, or MFAuthent frame length wrong
)

// Status1Reg bits, §9.3.1.8.
const (
	CRCOk    = 0x40
	CRCReady = 0x20
	IRq      = 0x10
	TRunning = 0x08
)

// Status2Reg bits, §9.3.1.9.
const (
	MFCrypto1On = 0x08 // set by a successful MFAuthent, cleared by software
	ModemMask   = 0x07
)

// FIFOLevelReg bits, §9.3.1.11.
const (
	FlushBuffer = 0x80
	FIFOLevel   = 0x7F
)

// ControlReg bits, §9.3.1.13.
const (
	TStopNow   = 0x80
	TStartNow  = 0x40
	RxLastBits = 0x07 // valid bits in the last received byte; 0 means 8
)

// BitFramingReg fields, §9.3.1.14.
const (
	StartSend      = 0x80 // starts the transmission of Transceive
	RxAlignShift   = 4    // bits 6..4: where the first received bit is stored
	RxAlignMask    = 0x70
	TxLastBitsMask = 0x07 // bits of the last byte sent; 0 means 8
)

// CollReg fields, §9.3.1.15.
const (
	ValuesAfterColl = 0x80 // 0: bits after a collision are cleared (anticollision)
	CollPosNotValid = 0x20 // no collision, or outside CollPos' range
	CollPosMask     = 0x1F // 1..31 is the bit of the first collision, 0 means 32
)

// ModeReg fields, §9.3.2.2. ModeInit keeps TxWaitRF and PolMFin and selects
// the CRC preset 6363h that ISO/IEC 14443-3 §6.2.4 defines for CRC_A.
const (
	CRCPresetMask = 0x03
	CRCPreset0000 = 0x00
	CRCPreset6363 = 0x01
	CRCPresetA671 = 0x02
	CRCPresetFFFF = 0x03
	ModeInit      = 0x3D
)

// TxControlReg, TxASKReg and RFCfgReg bits, §9.3.2.5, §9.3.2.6, §9.3.3.6.
const (
	Tx2RFEn      = 0x02
	Tx1RFEn      = 0x01
	Force100ASK  = 0x40 // 100 % ASK modulation, which ISO/IEC 14443A needs
	RxGainShift  = 4
	RxGainMask   = 0x70
	RFCfgReserve = 0x08 // reset value of the reserved low nibble
)

// TModeReg bits, §9.3.3.10.
const (
	TAuto           = 0x80 // timer starts at the end of each transmission
	TPrescalerHiMsk = 0x0F
)

// Chip clock, §8.5: the timer runs at 13.56 MHz / (2·TPrescaler + 1).
const CarrierHz = 13_560_000

// VersionReg values, §9.3.4.8, and the clones found on cheap modules.
const (
	Version1     = 0x91 // MFRC522 version 1.0
	Version2     = 0x92 // MFRC522 version 2.0
	VersionFM    = 0x88 // Fudan FM17522 clone
	VersionClone = 0x12 // unbranded counterfeit seen on blue modules
)
