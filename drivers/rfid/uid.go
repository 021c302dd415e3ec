package rfid

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// ParseUID reads a UID typed by a person or sent over the control socket:
// hex digits, either case, optionally in pairs separated by ':' or '-'
// ("04A1B2C3", "04:a1:b2:c3"). It is the inverse of UID.Hex.
func ParseUID(s string) (UID, error) {
	h := strings.NewReplacer(":", "", "-", "").Replace(strings.TrimSpace(s))
	if len(h)%2 != 0 {
		return nil, fmt.Errorf("rfid: UID %q: odd number of hex digits", s)
	}
	id, err := hex.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("rfid: UID %q: not hex", s)
	}
	if err := ValidUID(id); err != nil {
		return nil, fmt.Errorf("rfid: UID %q: %d bytes, want 1 to %d", s, len(id), MaxUIDLen)
	}
	return id, nil
}
