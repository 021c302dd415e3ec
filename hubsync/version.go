package hubsync

import (
	"fmt"
	"strconv"
	"strings"
)

// Release versions, as a bundle's manifest, the kiosk's versions directory
// and the hub's offers name them. Both sides order them alike, so the hub
// offers a kiosk only what its updater takes as newer.

// CheckVersion accepts dotted numbers, optionally with a suffix after "-",
// "+" or "~": 1.4.2, 2025.11.3, 1.5.0-rc1. A version names a directory,
// so nothing else.
func CheckVersion(v string) error {
	core, suffix := splitVersion(v)
	if core == "" {
		return fmt.Errorf("version %q: want numbers with dots, e.g. 1.4.2", v)
	}
	for _, p := range strings.Split(core, ".") {
		if _, err := strconv.ParseUint(p, 10, 32); err != nil {
			return fmt.Errorf("version %q: want numbers with dots, e.g. 1.4.2", v)
		}
	}
	for _, r := range suffix {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '+' || r == '~') {
			return fmt.Errorf("version %q: only letters, digits and .-+~ after the numbers", v)
		}
	}
	return nil
}

func splitVersion(v string) (core, suffix string) {
	if i := strings.IndexAny(v, "-+~"); i >= 0 {
		return v[:i], v[i:]
	}
	return v, ""
}

// CompareVersions orders two versions: numbers compared part by part (1.10
// after 1.9); a version with a suffix comes before the same numbers without
// one (1.5.0-rc1 before 1.5.0); suffixes compare as text.
func CompareVersions(a, b string) int {
	ac, as := splitVersion(a)
	bc, bs := splitVersion(b)
	ap, bp := strings.Split(ac, "."), strings.Split(bc, ".")
	for i := 0; i < max(len(ap), len(bp)); i++ {
		var x, y uint64
		if i < len(ap) {
			x, _ = strconv.ParseUint(ap[i], 10, 64)
		}
		if i < len(bp) {
			y, _ = strconv.ParseUint(bp[i], 10, 64)
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case as == bs:
		return 0
	case as == "":
		return 1
	case bs == "":
		return -1
	case as < bs:
		return -1
	}
	return 1
}
